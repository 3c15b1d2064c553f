from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=` and `?page_size=` (max 200); answers count, next, previous, results."""

    page_size_query_param = "page_size"
    max_page_size = 200
