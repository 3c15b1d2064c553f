"""A real database refusing a statement, for tests of what a failed write leaves behind.

No mock of our code: the database itself (PostgreSQL or SQLite) is told, by a trigger,
to refuse inserting into or deleting from one table, as a constraint or a lost connection
would. The trigger lives inside the test's transaction and is dropped on the way out.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def statements_refused(model, statement: str):
    """`statement` ("INSERT" or "DELETE") on `model`'s table raises DatabaseError."""
    table = model._meta.db_table
    name = f"refuse_{statement.lower()}_{table}"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{statement} on {table} is refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {statement} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {statement} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{statement} on {table} is refused'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgres else ""))
            if postgres:
                cursor.execute(f"DROP FUNCTION {name}()")


def deletes_refused(model):
    return statements_refused(model, "DELETE")


def inserts_refused(model):
    return statements_refused(model, "INSERT")
