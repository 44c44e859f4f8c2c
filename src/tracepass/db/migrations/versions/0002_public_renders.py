"""public renders: the bodies of each published snapshot, rendered at publish time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:15:26.237374
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_renders",
        sa.Column("passport_id", sa.String(length=24), nullable=False),
        sa.Column("published_etag", sa.String(length=64), nullable=False),
        sa.Column("render_key", sa.String(length=32), nullable=False),
        sa.Column("json_body", sa.LargeBinary(), nullable=False),
        sa.Column("html_body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["passport_id"],
            ["passports.id"],
            name=op.f("fk_public_renders_passport_id_passports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("passport_id", name=op.f("pk_public_renders")),
    )


def downgrade() -> None:
    op.drop_table("public_renders")
