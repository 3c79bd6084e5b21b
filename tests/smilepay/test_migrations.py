import uuid

import pytest

from tests.services import clean_env, run_manage


@pytest.mark.slow
def test_migrations_apply_on_a_fresh_sqlite_file(tmp_path):
    env = clean_env(SQLITE_PATH=str(tmp_path / "fresh.sqlite3"), SMILEPAY_LOCAL_DIR=str(tmp_path))
    result = run_manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    check = run_manage("makemigrations", "--check", "--dry-run", env=env)
    assert check.returncode == 0, "models changed without a migration:\n" + check.stdout


@pytest.mark.integration
def test_migrations_apply_on_a_fresh_postgres_database(postgres_url, tmp_path):
    import psycopg

    name = f"smilepay_migrate_{uuid.uuid4().hex[:10]}"
    server = postgres_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    admin_url = server + "/postgres"  # the test database itself may not exist yet
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        target = f"{server}/{name}"
        result = run_manage(
            "migrate",
            "--noinput",
            env=clean_env(DATABASE_URL=target, SMILEPAY_LOCAL_DIR=str(tmp_path)),
        )
        assert result.returncode == 0, result.stderr
        with psycopg.connect(target) as conn:
            tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
        assert {"accounts_user", "payments_kiosk", "kiosk_capturesession"} <= tables
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
