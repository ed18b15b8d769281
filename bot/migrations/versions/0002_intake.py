"""intake: organisation identity, unique organisation names, API keys, import runs

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rename_duplicate_organisations()
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.create_unique_constraint('uq_organisation_name', ['name'])
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.alter_column('sender_name', server_default=None)
        batch_op.alter_column('reply_to', server_default=None)

    op.create_table('apikey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['revoked_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('apikey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apikey_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_apikey_token_sha256'), ['token_sha256'], unique=True)

    op.create_table('importrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.JSON(), nullable=False),
    sa.Column('updated', sa.JSON(), nullable=False),
    sa.Column('ended_links', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('importrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importrun_organisation_id'), ['organisation_id'], unique=False)


def _rename_duplicate_organisations() -> None:
    """Earlier versions let two organisations share a name: the later ones get their id added."""
    organisation = sa.table('organisation', sa.column('id', sa.Integer), sa.column('name', sa.String))
    connection = op.get_bind()
    seen: set[str] = set()
    for row in connection.execute(sa.select(organisation.c.id, organisation.c.name).order_by(organisation.c.id)):
        if row.name in seen:
            connection.execute(organisation.update().where(organisation.c.id == row.id)
                               .values(name=f"{row.name} ({row.id})"))
        seen.add(row.name)


def downgrade() -> None:
    with op.batch_alter_table('importrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importrun_organisation_id'))
    op.drop_table('importrun')
    with op.batch_alter_table('apikey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apikey_token_sha256'))
        batch_op.drop_index(batch_op.f('ix_apikey_organisation_id'))
    op.drop_table('apikey')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint('uq_organisation_name', type_='unique')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('sender_name')
