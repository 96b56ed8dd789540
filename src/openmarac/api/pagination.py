"""Cursor pagination for every API list: stable under inserts, with the total."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        """A page size out of range or not a number is refused, not quietly replaced."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) == 1 and values[0].isdigit() and 1 <= int(values[0]) <= self.max_page_size:
            return int(values[0])
        raise ValidationError({self.page_size_query_param: f"Give one whole number from 1 to {self.max_page_size}"})

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {"count": {"type": "integer", "example": 123}, **response["properties"]}
        response["required"] = ["count", "next", "previous", "results"]
        return response
