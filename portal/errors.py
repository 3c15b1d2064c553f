class ApplicationError(Exception):
    """A business rule was violated. The API answers 400, HTML views show a form error.

    `field` names the input at fault when there is one, so the error lands beside it.
    """

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
