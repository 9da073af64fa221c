"""Repositories: queries and persistence for one aggregate each, one module per feature. They
never commit; the unit of work (``storage.db.UnitOfWork``) holds one of each as a typed property.
A feature module imports ``storage.repositories.base``, never this package."""

from storage.repositories.announcements import *  # noqa: F403
from storage.repositories.ballots import *  # noqa: F403
from storage.repositories.base import Repository as Repository
from storage.repositories.base import _escape_like as _escape_like
from storage.repositories.base import name_key as name_key
from storage.repositories.identity import *  # noqa: F403
from storage.repositories.meetings import *  # noqa: F403
from storage.repositories.outbox import *  # noqa: F403
from storage.repositories.privacy import PrivacyRepository as PrivacyRepository
from storage.repositories.proposals import *  # noqa: F403
from storage.repositories.routing import *  # noqa: F403
from storage.repositories.workplan import *  # noqa: F403
