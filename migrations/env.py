import logging
from contextlib import contextmanager
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from flask import current_app

from blog.moderation import search

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the application's own loggers working after a migration.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection, sqlite_foreign_keys_off(connection):
        if connection.dialect.name == "sqlite":
            conf_args = {"on_version_apply": check_sqlite_step, **conf_args}
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()


@contextmanager
def sqlite_foreign_keys_off(connection):
    """Run the migrations with SQLite's foreign keys off, and turn them on again after.

    Batch mode rebuilds a table by copying it and dropping the old one. With
    foreign keys on, that DROP first deletes every row, which fires the
    ON DELETE actions of the tables referring to it: rebuilding ``article``
    deleted every comment, rebuilding ``comment`` emptied the replies'
    ``parent_id``. SQLite ignores this PRAGMA inside a transaction, so it
    goes to the driver's connection before Alembic begins one (the app's
    engine turns foreign keys on for each new connection, and issues BEGIN
    itself on the first statement); and the connection goes back to the
    pool with them on.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    set_sqlite_foreign_keys(driver, on=False)
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        set_sqlite_foreign_keys(driver, on=True)


def set_sqlite_foreign_keys(driver, on):
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    if driver.execute("PRAGMA foreign_keys").fetchone()[0] != int(on):
        raise CommandError("SQLite did not switch foreign keys: a transaction is open")


def check_sqlite_step(ctx, step, heads, run_args):
    """After each migration, in its transaction: no reference to a missing row, search triggers.

    With foreign keys off nothing stops a migration from leaving a comment
    on no article: ``PRAGMA foreign_key_check`` finds it, and the error
    rolls the step back. A rebuilt ``comment`` table has also lost the
    search index's triggers, which are put back.
    """
    connection = ctx.connection
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        rows = "; ".join(
            f"{table} row {rowid} refers to a missing {parent}"
            for table, rowid, parent, _fk in broken[:10]
        )
        direction = "upgrade to" if step.is_upgrade else "downgrade from"
        raise CommandError(
            f"after the {direction} {step.up_revision_id}, references to rows that do "
            f"not exist ({len(broken)}): {rows}. That step was rolled back; "
            "correct those rows and run the migrations again."
        )
    restore_search_triggers(connection)


def restore_search_triggers(connection):
    """Create the search index's triggers again if the comment table lost them."""
    tables = sa.inspect(connection).get_table_names()
    if search.FTS_TABLE not in tables or "comment" not in tables:
        return
    triggers = connection.execute(
        sa.text(
            "SELECT count(*) FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'comment' AND name LIKE :prefix"
        ),
        {"prefix": f"{search.FTS_TABLE}%"},
    ).scalar()
    if not triggers:
        search.create_index(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
