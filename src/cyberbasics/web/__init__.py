"""The web platform (issue 6): a Django application over the core packages.

The core (scan, assess, report) knows nothing of Django; this package holds only what the
browser needs: accounts, businesses and their people, reviews run as background tasks, the
advisor's and the programme's views. See docs/web.md.
"""
