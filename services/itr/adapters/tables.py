"""The ITR mirror's own tables: the request object, what hangs off it, data-quality flags and the sync watermarks.

Every mirrored row keeps the sha256 of its content, so a sync that meets a record again compares one value and
writes nothing when it is unchanged. Salesforce body URLs (ContentVersion.VersionData) have no column.
"""
from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text, false

metadata = MetaData()
SF_ID = 18
STAMP = 40


def _hash() -> Column:
    return Column("content_sha256", String(64), nullable=False, server_default="")


requests = Table(
    "requests", metadata,
    Column("request_id", String(SF_ID), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("subject", Text, nullable=False, server_default=""),
    Column("status", String(32), nullable=False),
    Column("priority", String(16), nullable=False, server_default=""),
    Column("client_id", String(64), nullable=False, server_default="", index=True),
    Column("pbm_id", String(64), nullable=False, server_default=""),
    Column("tpa_id", String(64), nullable=False, server_default=""),
    Column("group_ids", Text, nullable=False, server_default=""),
    Column("period_start", String(10), nullable=False, server_default=""),
    Column("period_end", String(10), nullable=False, server_default=""),
    Column("deliverables", Text, nullable=False, server_default=""),
    Column("system_modstamp", String(STAMP), nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default=false()),
    Column("description", Text, nullable=False, server_default=""),
    Column("owner_id", String(SF_ID), nullable=False, server_default=""),
    Column("created_date", String(STAMP), nullable=False, server_default=""),
    Column("last_modified_date", String(STAMP), nullable=False, server_default=""),
    Column("fields_json", Text, nullable=False, server_default="{}"),
    _hash(),
)

history = Table(
    "request_history", metadata,
    Column("history_id", String(SF_ID), primary_key=True),
    Column("request_id", String(SF_ID), nullable=False),
    Column("field", String(255), nullable=False),
    Column("old_value", Text, nullable=False, server_default=""),
    Column("new_value", Text, nullable=False, server_default=""),
    Column("created_by_id", String(SF_ID), nullable=False, server_default=""),
    Column("created_date", String(STAMP), nullable=False),
    _hash(),
    Index("ix_request_history_request", "request_id", "created_date"),
)

links = Table(
    "content_links", metadata,
    Column("link_id", String(SF_ID), primary_key=True),
    Column("request_id", String(SF_ID), nullable=False, index=True),
    Column("document_id", String(SF_ID), nullable=False, index=True),
    # False until the linked document's versions or note have been fetched (in the same transaction as they are).
    Column("resolved", Boolean, nullable=False, server_default=false()),
    _hash(),
)

versions = Table(
    "content_versions", metadata,
    Column("version_id", String(SF_ID), primary_key=True),
    Column("document_id", String(SF_ID), nullable=False, index=True),
    Column("title", Text, nullable=False, server_default=""),
    Column("file_extension", String(40), nullable=False, server_default=""),
    Column("content_size", BigInteger, nullable=True),
    Column("checksum", String(64), nullable=False, server_default=""),
    Column("version_number", String(20), nullable=False, server_default=""),
    Column("is_latest", Boolean, nullable=False, server_default=false()),
    Column("system_modstamp", String(STAMP), nullable=False, server_default=""),
    _hash(),
)

notes = Table(
    "content_notes", metadata,
    Column("note_id", String(SF_ID), primary_key=True),
    Column("title", Text, nullable=False, server_default=""),
    Column("text_preview", Text, nullable=False, server_default=""),
    Column("created_date", String(STAMP), nullable=False, server_default=""),
    Column("last_modified_date", String(STAMP), nullable=False, server_default=""),
    _hash(),
)

feed_items = Table(
    "feed_items", metadata,
    Column("feed_item_id", String(SF_ID), primary_key=True),
    Column("request_id", String(SF_ID), nullable=False, index=True),
    Column("type", String(40), nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),
    Column("created_by_id", String(SF_ID), nullable=False, server_default=""),
    Column("created_date", String(STAMP), nullable=False, server_default=""),
    Column("system_modstamp", String(STAMP), nullable=False, server_default=""),
    Column("is_deleted", Boolean, nullable=False, server_default=false()),
    _hash(),
)

comments = Table(
    "feed_comments", metadata,
    Column("comment_id", String(SF_ID), primary_key=True),
    Column("feed_item_id", String(SF_ID), nullable=False, index=True),
    Column("request_id", String(SF_ID), nullable=False, index=True),
    Column("body", Text, nullable=False, server_default=""),
    Column("created_by_id", String(SF_ID), nullable=False, server_default=""),
    Column("created_date", String(STAMP), nullable=False, server_default=""),
    Column("is_deleted", Boolean, nullable=False, server_default=false()),
    _hash(),
)

quality_flags = Table(
    "quality_flags", metadata,
    Column("stream", String(20), primary_key=True),
    Column("record_id", String(SF_ID), primary_key=True),
    Column("rule", String(120), primary_key=True),
    Column("detail", Text, nullable=False, server_default=""),
)

sync_state = Table(
    "sync_state", metadata,
    Column("stream", String(20), primary_key=True),
    Column("watermark", String(STAMP), nullable=False),
)

TABLE_OF = {"requests": requests, "history": history, "links": links, "versions": versions, "notes": notes,
            "feed_items": feed_items, "comments": comments}
