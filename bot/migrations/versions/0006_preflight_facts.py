"""preflight facts: measured documents survive a restart, keyed by sha256 and profile version

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preflightfacts',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('profile', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('profile_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('facts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', 'profile', 'profile_version')
    )


def downgrade() -> None:
    op.drop_table('preflightfacts')
