-- Runs once, when the postgres container initializes an empty data volume
-- (docker-entrypoint-initdb.d), as POSTGRES_USER against POSTGRES_DB (= shop).
-- The sso service has its own database; POSTGRES_USER owns both.
CREATE DATABASE sso;
