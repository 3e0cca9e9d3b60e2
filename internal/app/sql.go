package app

// sqlVersions reads the PostgreSQL and PostGIS versions for /api/version.
const sqlVersions = `SELECT current_setting('server_version'), postgis_lib_version()`
