"""Class and school accounts (issue 16): a teacher uploads a class list and gets accounts for their unit's
pupils, with printable login cards, a first-sign-in password change and guardian consents recorded from
paper forms. ``parsing`` reads the list (pure), ``services`` writes, ``selectors`` reads with permission,
``cards`` prints, ``firstpassword`` holds a new pupil at the password page."""
