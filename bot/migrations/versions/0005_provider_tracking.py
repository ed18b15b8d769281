"""provider tracking: when a letter's first create began, when it was posted, when a cancel was asked

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = ('submit_started_at', 'posted_at', 'cancel_requested_at')


def upgrade() -> None:
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
