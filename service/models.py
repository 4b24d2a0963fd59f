"""Every model module, imported once so the metadata is complete (Alembic, tests)."""

from service.attachments import models as attachments  # noqa: F401
from service.cases import models as cases  # noqa: F401
from service.contact_log import models as contact_log  # noqa: F401
from service.conversations import models as conversations  # noqa: F401
from service.core.db import Base
from service.core.idempotency import IdempotencyKey  # noqa: F401
from service.core.scheduler import PeriodicTick  # noqa: F401
from service.customers import models as customers  # noqa: F401
from service.notifications import models as notifications  # noqa: F401
from service.quality import models as quality  # noqa: F401
from service.quotes import models as quotes  # noqa: F401
from service.reports import models as reports  # noqa: F401
from service.shipments import models as shipments  # noqa: F401
from service.sla import models as sla  # noqa: F401
from service.staff import models as staff  # noqa: F401
from service.storefronts import models as storefronts  # noqa: F401
from service.surveys import models as surveys  # noqa: F401
from service.tracking import models as tracking  # noqa: F401
from service.webhooks import models as webhooks  # noqa: F401
from service.workspace import models as workspace  # noqa: F401

metadata = Base.metadata
