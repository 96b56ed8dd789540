from openmarac.access import policy


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {}
    return {
        "nav_manageable_maracs": list(policy.manageable_maracs(user)),
        "nav_is_system_admin": policy.is_system_admin(user),
        "nav_can_refer": bool(policy.referring_maracs(user)),
        "nav_can_search": policy.can_search_cases(user),
    }
