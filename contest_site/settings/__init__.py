"""Settings split by purpose: ``base`` (the embedded default), ``production`` and ``test``.

Select one with ``DJANGO_SETTINGS_MODULE``; the environment is read only in ``env.py``.
"""
