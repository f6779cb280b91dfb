// A readiness check's dashboard (templates/workshops/check_dashboard.html): the machines' totals and
// rows are fetched again every few seconds and put in place of the old ones. The server renders and
// escapes them (check_machines.html); nothing from a report is ever handled here as markup of our own.
// A failed poll is retried later; a login page (the session ended) or a 403/404 stops the polling
// and says so. Without JavaScript the page reloads itself (its <noscript> refresh).
(function () {
  "use strict";

  var section = document.querySelector("[data-check-machines]");
  if (!section) return;
  var rows = section.querySelector("[data-check-rows]");
  var updated = section.querySelector("[data-check-updated]");
  var url = section.getAttribute("data-url");
  var pollMs = 1000 * (parseInt(section.getAttribute("data-poll-seconds"), 10) || 5);
  var RETRY_MS = 15000;

  function say(text) {
    updated.textContent = text;
  }

  function clock() {
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()]
      .map(function (part) { return (part < 10 ? "0" : "") + part; })
      .join(":");
  }

  function poll() {
    fetch(url, { headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || response.status === 403 || response.status === 404) {
          say("(no longer updated: reload the page, logging in again if asked)");
          return null;
        }
        if (!response.ok) throw new Error("status " + response.status);
        return response.text().then(function (html) {
          rows.innerHTML = html;
          say("(updated " + clock() + ")");
          setTimeout(poll, pollMs);
        });
      })
      .catch(function () {
        say("(the site did not answer; trying again)");
        setTimeout(poll, RETRY_MS);
      });
  }

  say("(updated " + clock() + ")");
  setTimeout(poll, pollMs);
})();
