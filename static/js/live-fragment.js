// A part of a cached page that changes while work runs (the workshop's pre-flight): each
// `[data-live-fragment]` block asks its URL for the part's HTML every 3 s and puts it in place,
// until the server says the work is finished (X-Finished: 1). The HTML is the site's own
// template, rendered and escaped by Django. Errors back off; without JavaScript, a reload shows
// the same.
(function () {
  "use strict";

  var POLL_MS = 3000;
  var MAX_BACKOFF_MS = 30000;

  function follow(block) {
    var url = block.getAttribute("data-live-fragment");
    var failures = 0;

    function next(delay) {
      window.setTimeout(poll, delay);
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          var finished = response.headers.get("X-Finished") === "1";
          return response.text().then(function (html) {
            return { html: html, finished: finished };
          });
        })
        .then(function (answer) {
          failures = 0;
          block.innerHTML = answer.html;
          if (answer.finished) {
            block.removeAttribute("data-live-fragment");
            block.setAttribute("data-finished", "");
          } else {
            next(POLL_MS);
          }
        })
        .catch(function () {
          failures += 1;
          next(Math.min(POLL_MS * Math.pow(2, failures), MAX_BACKOFF_MS));
        });
    }

    next(POLL_MS);
  }

  function start() {
    var blocks = document.querySelectorAll("[data-live-fragment]");
    for (var i = 0; i < blocks.length; i++) follow(blocks[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
