"""The five question types: the vocabulary of the quizzes domain. Pure (no Django), so that the models
(``Question.Type``), grading and the importers all take it from here; nothing domain-side reads it from an
importer."""

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"
SHORT_TEXT = "short_text"
ORDERING = "ordering"
QUESTION_TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT_TEXT, ORDERING)
