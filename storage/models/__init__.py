"""Typed ORM models, one module per feature on one declarative ``Base``.

Importing the package imports every feature module, so ``Base.metadata`` holds every table
(Alembic and the tests rely on it). Timestamps are UTC. ``name_key`` holds the casefolded name for
lookups, ``sort_key`` the Hungarian alphabetical order (see ``bot.services.collation``). A feature
module imports ``storage.models.base`` (and the modules it refers to), never this package.
"""

from storage.models.announcements import *  # noqa: F403
from storage.models.ballots import *  # noqa: F403
from storage.models.base import Base as Base
from storage.models.base import _enum as _enum
from storage.models.identity import *  # noqa: F403
from storage.models.meetings import *  # noqa: F403
from storage.models.outbox import *  # noqa: F403
from storage.models.proposals import *  # noqa: F403
from storage.models.routing import *  # noqa: F403
from storage.models.workplan import *  # noqa: F403
