"""Sign-up: a name and a password checked by the site's password validators, then logged in; log-in
is Django's view with failed attempts counted (catalog/accounts/throttle.py); log-out is Django's (POST only).

One account serves every role: trainers build workshops, contributors submit patterns, and reviewers
are the accounts `manage.py create_reviewer` made staff.
"""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from catalog.accounts import throttle


@never_cache
@csrf_protect
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})


class ThrottledLoginView(LoginView):
    """Django's log-in, answering 429 with the wait once a name or an address failed too often."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        wait = throttle.seconds_to_wait(request, username)
        if wait:
            form = self.get_form()
            minutes = max(1, round(wait / 60))
            form.add_error(
                None,
                f"Too many failed log-ins for this name or from this address: try again in about "
                f"{minutes} minute{'s' if minutes != 1 else ''}.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.count_failure(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.clear_name(self.request, form.get_user().get_username())
        return super().form_valid(form)
