import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cyberbasics.web.settings")
application = get_wsgi_application()

# Each server process loads this module before it serves its first request.
from .warmup import warm_up  # noqa: E402

warm_up()
