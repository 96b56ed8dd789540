class NoStoreMiddleware:
    """Pages shown to a signed-in user may hold case data: browsers and proxies must
    not keep a copy (a shared computer's back button or cache would show it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response
