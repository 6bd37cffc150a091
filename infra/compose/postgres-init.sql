-- Runs once, when the postgres container initializes an empty data volume
-- (docker-entrypoint-initdb.d), as POSTGRES_USER against POSTGRES_DB (= shop).
-- The sso, notifier, loms, orders, analytics, comment-analysis and recommendations services have their own databases; POSTGRES_USER owns them all.
-- analytics_reader is Grafana's read-only role: the analytics migration grants it SELECT there, nothing else
-- (same as infra/postgres.sh; change the password with ALTER ROLE and GRAFANA's ANALYTICS_READER_PASSWORD).
CREATE DATABASE sso;
CREATE DATABASE notifier;
CREATE DATABASE loms;
CREATE DATABASE orders;
CREATE DATABASE analytics;
CREATE DATABASE comment_analysis;
CREATE DATABASE recommendations;
CREATE ROLE analytics_reader LOGIN PASSWORD 'analytics-reader';
