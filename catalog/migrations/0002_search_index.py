"""The search index: an FTS5 table kept in step by triggers on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

FTS_COLUMNS = "name, summary, body, files"
SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE catalog_search_fts USING fts5({FTS_COLUMNS},
        content='catalog_searchdocument', content_rowid='id', tokenize='porter unicode61')""",
    f"""CREATE TRIGGER catalog_search_ai AFTER INSERT ON catalog_searchdocument BEGIN
        INSERT INTO catalog_search_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.name, new.summary, new.body, new.files); END""",
    f"""CREATE TRIGGER catalog_search_ad AFTER DELETE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_search_fts(catalog_search_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.name, old.summary, old.body, old.files); END""",
    f"""CREATE TRIGGER catalog_search_au AFTER UPDATE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_search_fts(catalog_search_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, old.name, old.summary, old.body, old.files);
        INSERT INTO catalog_search_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, new.name, new.summary, new.body, new.files); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS catalog_search_ai",
    "DROP TRIGGER IF EXISTS catalog_search_ad",
    "DROP TRIGGER IF EXISTS catalog_search_au",
    "DROP TABLE IF EXISTS catalog_search_fts",
]
POSTGRES_CREATE = [
    "CREATE INDEX catalog_search_vector ON catalog_searchdocument USING GIN (vector)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS catalog_search_vector"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
