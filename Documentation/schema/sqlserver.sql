-- The schema of the HR migration service on sqlserver, from its migrations.
-- Written by scripts/make_schema_sql.py; the service applies the migrations itself.

BEGIN TRANSACTION;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

GO

-- Running upgrade  -> 0001

CREATE TABLE departments (
    id INTEGER NOT NULL, 
    department NVARCHAR(255) NOT NULL, 
    PRIMARY KEY (id)
);

GO

CREATE TABLE jobs (
    id INTEGER NOT NULL, 
    job NVARCHAR(255) NOT NULL, 
    PRIMARY KEY (id)
);

GO

CREATE TABLE hired_employees (
    id INTEGER NOT NULL, 
    name NVARCHAR(255) NOT NULL, 
    datetime DATETIME NOT NULL, 
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    PRIMARY KEY (id)
);

GO

CREATE INDEX ix_hired_employees_datetime ON hired_employees (datetime);

GO

CREATE TABLE load_tasks (
    id VARCHAR(36) NOT NULL, 
    table_name VARCHAR(32) NOT NULL, 
    source NVARCHAR(1024) NOT NULL, 
    state VARCHAR(16) NOT NULL, 
    rows_read BIGINT NOT NULL, 
    result NVARCHAR(max) NULL, 
    error NVARCHAR(max) NULL, 
    created_at DATETIME NOT NULL, 
    started_at DATETIME NULL, 
    finished_at DATETIME NULL, 
    PRIMARY KEY (id)
);

GO

CREATE INDEX ix_load_tasks_created_at ON load_tasks (created_at);

GO

CREATE TABLE rejections (
    id BIGINT NOT NULL IDENTITY, 
    table_name VARCHAR(32) NOT NULL, 
    task_id VARCHAR(36) NULL, 
    batch_id VARCHAR(36) NULL, 
    line BIGINT NULL, 
    position INTEGER NULL, 
    record_id BIGINT NULL, 
    field VARCHAR(64) NULL, 
    reason VARCHAR(32) NOT NULL, 
    message NVARCHAR(1024) NOT NULL, 
    raw NVARCHAR(max) NOT NULL, 
    created_at DATETIME NOT NULL, 
    PRIMARY KEY (id)
);

GO

CREATE INDEX ix_rejections_task_id ON rejections (task_id);

GO

CREATE INDEX ix_rejections_batch_id ON rejections (batch_id);

GO

CREATE INDEX ix_rejections_table_name ON rejections (table_name);

GO

INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('0001');

GO

-- Running upgrade 0001 -> 0002

CREATE TABLE hire_counts (
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    year INTEGER NOT NULL, 
    quarter INTEGER NOT NULL, 
    hires BIGINT NOT NULL, 
    PRIMARY KEY (year, department_id, job_id, quarter)
);

GO

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

GO

-- Running upgrade 0002 -> 0003

ALTER TABLE load_tasks ADD runner VARCHAR(128) NULL;

GO

CREATE INDEX ix_load_tasks_state ON load_tasks (state);

GO

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

GO

-- Running upgrade 0003 -> 0004

CREATE TABLE load_task_parts (
    task_id VARCHAR(36) NOT NULL, 
    part INTEGER NOT NULL, 
    start_byte BIGINT NOT NULL, 
    end_byte BIGINT NULL, 
    first_line BIGINT NOT NULL, 
    state VARCHAR(16) NOT NULL, 
    rows_read BIGINT NOT NULL, 
    result NVARCHAR(max) NULL, 
    PRIMARY KEY (task_id, part)
);

GO

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

GO

-- Running upgrade 0004 -> 0005

CREATE TABLE hire_counts_moving (
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    year INTEGER NOT NULL, 
    q1 BIGINT NOT NULL, 
    q2 BIGINT NOT NULL, 
    q3 BIGINT NOT NULL, 
    q4 BIGINT NOT NULL, 
    PRIMARY KEY (year, department_id, job_id)
);

GO

INSERT INTO hire_counts_moving (department_id, job_id, year, q1, q2, q3, q4) SELECT department_id, job_id, year, SUM(CASE WHEN quarter = 1 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 2 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 3 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 4 THEN hires ELSE 0 END) FROM hire_counts GROUP BY department_id, job_id, year;

GO

DROP TABLE hire_counts;

GO

CREATE TABLE hire_counts (
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    year INTEGER NOT NULL, 
    q1 BIGINT NOT NULL, 
    q2 BIGINT NOT NULL, 
    q3 BIGINT NOT NULL, 
    q4 BIGINT NOT NULL, 
    PRIMARY KEY (year, department_id, job_id)
);

GO

INSERT INTO hire_counts (department_id, job_id, year, q1, q2, q3, q4) SELECT department_id, job_id, year, q1, q2, q3, q4 FROM hire_counts_moving;

GO

DROP TABLE hire_counts_moving;

GO

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';

GO

-- Running upgrade 0005 -> 0006

DROP INDEX ix_hired_employees_datetime ON hired_employees;

GO

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';

GO

-- Running upgrade 0006 -> 0007

ALTER TABLE load_tasks ADD lease_owner VARCHAR(128) NULL;

GO

ALTER TABLE load_tasks ADD lease_expires_at DATETIME NULL;

GO

ALTER TABLE load_tasks ADD attempts INTEGER NOT NULL DEFAULT 0;

GO

ALTER TABLE load_task_parts ADD lease_owner VARCHAR(128) NULL;

GO

ALTER TABLE load_task_parts ADD lease_expires_at DATETIME NULL;

GO

ALTER TABLE load_task_parts ADD attempts INTEGER NOT NULL DEFAULT 0;

GO

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';

GO

-- Running upgrade 0007 -> 0008

ALTER TABLE load_tasks ADD bytes_read BIGINT NOT NULL DEFAULT 0;

GO

ALTER TABLE load_tasks ADD bytes_total BIGINT NULL;

GO

ALTER TABLE load_task_parts ADD bytes_read BIGINT NOT NULL DEFAULT 0;

GO

ALTER TABLE load_task_parts ADD bytes_total BIGINT NULL;

GO

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';

GO

COMMIT;

GO

