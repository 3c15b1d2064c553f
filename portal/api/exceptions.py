"""One error shape for the API (DESIGN §5): 400 `{field: [messages]}`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        field = exc.field or api_settings.NON_FIELD_ERRORS_KEY
        return Response({field: [exc.message], **exc.extra}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        # full_clean() in a service: keep Django's per-field messages.
        if hasattr(exc, "error_dict"):
            data = {
                (api_settings.NON_FIELD_ERRORS_KEY if k == "__all__" else k): v
                for k, v in exc.message_dict.items()
            }
        else:
            data = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
