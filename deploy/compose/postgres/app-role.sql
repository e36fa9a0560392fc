-- The application's login role (README: Money and the audit trail). It owns nothing:
-- migration 00012, run by the owner, grants it what it may do, and on the
-- audit trail only SELECT and INSERT. Run by the db-roles service at every
-- `docker compose up` (psql -v pw=...), so a volume created before the
-- role existed gets it too, and a changed APP_DB_PASSWORD is applied.
SELECT format('CREATE ROLE complaints_app LOGIN PASSWORD %L', :'pw')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'complaints_app') \gexec
SELECT format('ALTER ROLE complaints_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %L', :'pw') \gexec
