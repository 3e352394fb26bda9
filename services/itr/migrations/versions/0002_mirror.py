"""The whole mirror: the request's remaining fields and content hash, its history, files (links and version metadata),
notes, feed items and comments, data-quality flags, and one watermark per followed object."""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
SF_ID, STAMP = 18, 40


def _hash() -> sa.Column:
    return sa.Column("content_sha256", sa.String(64), nullable=False, server_default="")


def upgrade() -> None:
    with op.batch_alter_table("requests") as table:
        table.add_column(sa.Column("description", sa.Text, nullable=False, server_default=""))
        table.add_column(sa.Column("owner_id", sa.String(SF_ID), nullable=False, server_default=""))
        table.add_column(sa.Column("created_date", sa.String(STAMP), nullable=False, server_default=""))
        table.add_column(sa.Column("last_modified_date", sa.String(STAMP), nullable=False, server_default=""))
        table.add_column(sa.Column("fields_json", sa.Text, nullable=False, server_default="{}"))
        table.add_column(_hash())
    op.create_table(
        "request_history",
        sa.Column("history_id", sa.String(SF_ID), primary_key=True),
        sa.Column("request_id", sa.String(SF_ID), nullable=False),
        sa.Column("field", sa.String(255), nullable=False),
        sa.Column("old_value", sa.Text, nullable=False, server_default=""),
        sa.Column("new_value", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by_id", sa.String(SF_ID), nullable=False, server_default=""),
        sa.Column("created_date", sa.String(STAMP), nullable=False),
        _hash(),
    )
    op.create_index("ix_request_history_request", "request_history", ["request_id", "created_date"])
    op.create_table(
        "content_links",
        sa.Column("link_id", sa.String(SF_ID), primary_key=True),
        sa.Column("request_id", sa.String(SF_ID), nullable=False),
        sa.Column("document_id", sa.String(SF_ID), nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False, server_default=sa.false()),
        _hash(),
    )
    op.create_index("ix_content_links_request_id", "content_links", ["request_id"])
    op.create_index("ix_content_links_document_id", "content_links", ["document_id"])
    op.create_table(
        "content_versions",
        sa.Column("version_id", sa.String(SF_ID), primary_key=True),
        sa.Column("document_id", sa.String(SF_ID), nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("file_extension", sa.String(40), nullable=False, server_default=""),
        sa.Column("content_size", sa.BigInteger, nullable=True),
        sa.Column("checksum", sa.String(64), nullable=False, server_default=""),
        sa.Column("version_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("is_latest", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("system_modstamp", sa.String(STAMP), nullable=False, server_default=""),
        _hash(),
    )
    op.create_index("ix_content_versions_document_id", "content_versions", ["document_id"])
    op.create_table(
        "content_notes",
        sa.Column("note_id", sa.String(SF_ID), primary_key=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("text_preview", sa.Text, nullable=False, server_default=""),
        sa.Column("created_date", sa.String(STAMP), nullable=False, server_default=""),
        sa.Column("last_modified_date", sa.String(STAMP), nullable=False, server_default=""),
        _hash(),
    )
    op.create_table(
        "feed_items",
        sa.Column("feed_item_id", sa.String(SF_ID), primary_key=True),
        sa.Column("request_id", sa.String(SF_ID), nullable=False),
        sa.Column("type", sa.String(40), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by_id", sa.String(SF_ID), nullable=False, server_default=""),
        sa.Column("created_date", sa.String(STAMP), nullable=False, server_default=""),
        sa.Column("system_modstamp", sa.String(STAMP), nullable=False, server_default=""),
        sa.Column("is_deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        _hash(),
    )
    op.create_index("ix_feed_items_request_id", "feed_items", ["request_id"])
    op.create_table(
        "feed_comments",
        sa.Column("comment_id", sa.String(SF_ID), primary_key=True),
        sa.Column("feed_item_id", sa.String(SF_ID), nullable=False),
        sa.Column("request_id", sa.String(SF_ID), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by_id", sa.String(SF_ID), nullable=False, server_default=""),
        sa.Column("created_date", sa.String(STAMP), nullable=False, server_default=""),
        sa.Column("is_deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        _hash(),
    )
    op.create_index("ix_feed_comments_feed_item_id", "feed_comments", ["feed_item_id"])
    op.create_index("ix_feed_comments_request_id", "feed_comments", ["request_id"])
    op.create_table(
        "quality_flags",
        sa.Column("stream", sa.String(20), primary_key=True),
        sa.Column("record_id", sa.String(SF_ID), primary_key=True),
        sa.Column("rule", sa.String(120), primary_key=True),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "sync_state",
        sa.Column("stream", sa.String(20), primary_key=True),
        sa.Column("watermark", sa.String(STAMP), nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_state", "quality_flags", "feed_comments", "feed_items", "content_notes", "content_versions",
                  "content_links", "request_history"):
        op.drop_table(table)
    with op.batch_alter_table("requests") as table:
        for column in ("content_sha256", "fields_json", "last_modified_date", "created_date", "owner_id",
                       "description"):
            table.drop_column(column)
