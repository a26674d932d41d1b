from alembic import context

config = context.config
