"""Imports every concept's tables so that ``Base.metadata`` is complete (Alembic, tests)."""

from market.accounts import models as account_models  # noqa: F401
from market.attachments import models as attachment_models  # noqa: F401
from market.audit import models as audit_models  # noqa: F401
from market.batches import models as batch_models  # noqa: F401
from market.db import Base
from market.deals import models as deal_models  # noqa: F401
from market.mail import models as mail_models  # noqa: F401
from market.messages import models as message_models  # noqa: F401
from market.needs import models as need_models  # noqa: F401
from market.notifications import models as notification_models  # noqa: F401
from market.office import models as office_models  # noqa: F401
from market.orgs import models as org_models  # noqa: F401
from market.outbox import models as outbox_models  # noqa: F401
from market.questions import models as question_models  # noqa: F401
from market.recognitions import models as recognition_models  # noqa: F401
from market.reminders import models as reminder_models  # noqa: F401
from market.responses import models as response_models  # noqa: F401
from market.targets import models as target_models  # noqa: F401

metadata = Base.metadata
