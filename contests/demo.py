"""Demo data hooks: each app may have a ``demo.py`` whose ``seed(*, stdout, now)`` adds its part.

``manage.py seed_demo`` loads the core (organisations, users, events) and then calls every app's seeder,
so that this core app never imports the apps that build on it.
"""
