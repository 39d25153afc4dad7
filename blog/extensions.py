"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from blog.core.addresses import rate_limit_key
from blog.core.i18n import lazy_gettext as _l

# Named constraints, so that migrations can alter them on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # mypy takes no attribute as a base class (python/mypy#8603); db.Model is
    # made from Base's bases and body, so Base stands in for it.
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to continue.")
login_manager.login_message_category = "info"
# Limits, storage and the on/off switch come from the RATELIMIT_* config keys.
# Every limit counts per address block (IPv6 by /64), not per address.
limiter = Limiter(key_func=rate_limit_key)
