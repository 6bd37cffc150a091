-- Runs once, when the postgres container initializes an empty data volume
-- (docker-entrypoint-initdb.d), as POSTGRES_USER against POSTGRES_DB (= shop).
-- The sso, notifier, loms and orders services have their own databases; POSTGRES_USER owns them all.
CREATE DATABASE sso;
CREATE DATABASE notifier;
CREATE DATABASE loms;
CREATE DATABASE orders;
