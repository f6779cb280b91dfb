// "Verify again" on a cached page. The page is shared by every visitor, so its form carries no
// CSRF token and, without JavaScript, is a GET to a confirmation page that does. With
// JavaScript we fetch a fresh token (never cached; it also sets the CSRF cookie), add it to
// the form and post it straight away. If the token cannot be fetched, the form falls back to
// the confirmation page.
(function () {
  "use strict";

  var forms = document.querySelectorAll("form[data-verify-again]");

  function submitWithToken(form, token) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrfmiddlewaretoken";
      form.appendChild(field);
    }
    field.value = token;
    form.method = "post";
    form.submit();
  }

  function onSubmit(event) {
    var form = event.currentTarget;
    if (form.getAttribute("data-busy")) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    form.setAttribute("data-busy", "true");
    var button = form.querySelector("button[type=submit]");
    if (button) button.setAttribute("aria-disabled", "true");
    fetch(form.getAttribute("data-token-url"), {
      headers: { Accept: "application/json" },
      cache: "no-store",
      credentials: "same-origin"
    })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        submitWithToken(form, data.token);
      })
      .catch(function () {
        form.submit(); // the GET confirmation page carries its own token
      });
  }

  for (var i = 0; i < forms.length; i++) forms[i].addEventListener("submit", onSubmit);
})();
