-- The schema of the HR migration service on sqlite, from its migrations.
-- Written by scripts/make_schema_sql.py; the service applies the migrations itself.

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE departments (
    id INTEGER NOT NULL, 
    department VARCHAR(255) NOT NULL, 
    PRIMARY KEY (id)
);

CREATE TABLE jobs (
    id INTEGER NOT NULL, 
    job VARCHAR(255) NOT NULL, 
    PRIMARY KEY (id)
);

CREATE TABLE hired_employees (
    id INTEGER NOT NULL, 
    name VARCHAR(255) NOT NULL, 
    datetime DATETIME NOT NULL, 
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    PRIMARY KEY (id)
);

CREATE INDEX ix_hired_employees_datetime ON hired_employees (datetime);

CREATE TABLE load_tasks (
    id VARCHAR(36) NOT NULL, 
    table_name VARCHAR(32) NOT NULL, 
    source VARCHAR(1024) NOT NULL, 
    state VARCHAR(16) NOT NULL, 
    rows_read BIGINT NOT NULL, 
    result TEXT, 
    error TEXT, 
    created_at DATETIME NOT NULL, 
    started_at DATETIME, 
    finished_at DATETIME, 
    PRIMARY KEY (id)
);

CREATE INDEX ix_load_tasks_created_at ON load_tasks (created_at);

CREATE TABLE rejections (
    id INTEGER NOT NULL, 
    table_name VARCHAR(32) NOT NULL, 
    task_id VARCHAR(36), 
    batch_id VARCHAR(36), 
    line BIGINT, 
    position INTEGER, 
    record_id BIGINT, 
    field VARCHAR(64), 
    reason VARCHAR(32) NOT NULL, 
    message VARCHAR(1024) NOT NULL, 
    raw TEXT NOT NULL, 
    created_at DATETIME NOT NULL, 
    PRIMARY KEY (id)
);

CREATE INDEX ix_rejections_task_id ON rejections (task_id);

CREATE INDEX ix_rejections_batch_id ON rejections (batch_id);

CREATE INDEX ix_rejections_table_name ON rejections (table_name);

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING version_num;

-- Running upgrade 0001 -> 0002

CREATE TABLE hire_counts (
    department_id INTEGER NOT NULL, 
    job_id INTEGER NOT NULL, 
    year INTEGER NOT NULL, 
    quarter INTEGER NOT NULL, 
    hires BIGINT NOT NULL, 
    PRIMARY KEY (year, department_id, job_id, quarter)
);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

ALTER TABLE load_tasks ADD COLUMN runner VARCHAR(128);

CREATE INDEX ix_load_tasks_state ON load_tasks (state);

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

CREATE TABLE load_task_parts (
    task_id VARCHAR(36) NOT NULL, 
    part INTEGER NOT NULL, 
    start_byte BIGINT NOT NULL, 
    end_byte BIGINT, 
    first_line BIGINT NOT NULL, 
    state VARCHAR(16) NOT NULL, 
    rows_read BIGINT NOT NULL, 
    result TEXT, 
    PRIMARY KEY (task_id, part)
);

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

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

INSERT INTO hire_counts_moving (department_id, job_id, year, q1, q2, q3, q4) SELECT department_id, job_id, year, SUM(CASE WHEN quarter = 1 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 2 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 3 THEN hires ELSE 0 END), SUM(CASE WHEN quarter = 4 THEN hires ELSE 0 END) FROM hire_counts GROUP BY department_id, job_id, year;

DROP TABLE hire_counts;

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

INSERT INTO hire_counts (department_id, job_id, year, q1, q2, q3, q4) SELECT department_id, job_id, year, q1, q2, q3, q4 FROM hire_counts_moving;

DROP TABLE hire_counts_moving;

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

DROP INDEX ix_hired_employees_datetime;

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

ALTER TABLE load_tasks ADD COLUMN lease_owner VARCHAR(128);

ALTER TABLE load_tasks ADD COLUMN lease_expires_at DATETIME;

ALTER TABLE load_tasks ADD COLUMN attempts INTEGER DEFAULT 0 NOT NULL;

ALTER TABLE load_task_parts ADD COLUMN lease_owner VARCHAR(128);

ALTER TABLE load_task_parts ADD COLUMN lease_expires_at DATETIME;

ALTER TABLE load_task_parts ADD COLUMN attempts INTEGER DEFAULT 0 NOT NULL;

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

ALTER TABLE load_tasks ADD COLUMN bytes_read BIGINT DEFAULT 0 NOT NULL;

ALTER TABLE load_tasks ADD COLUMN bytes_total BIGINT;

ALTER TABLE load_task_parts ADD COLUMN bytes_read BIGINT DEFAULT 0 NOT NULL;

ALTER TABLE load_task_parts ADD COLUMN bytes_total BIGINT;

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';

