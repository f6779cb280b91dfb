// The live parts of a cached page: a running verification's log and state, and "3 minutes ago".
// Each `[data-live-url]` block polls its JSON every 2 s, appends only the text after the offset
// the server last gave, and reloads the page when the run ends (the finished page shows the
// result). `time[data-ago]` elements are re-counted from their datetime, since a cached page
// may be older than the words it was made with. Without JavaScript the page says to reload.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_BACKOFF_MS = 30000;
  var STICKY_PX = 24; // a reader scrolled to the end of the log keeps following it

  function ago(date) {
    var seconds = (Date.now() - date.getTime()) / 1000;
    var steps = [
      [86400 * 365, "year"], [86400 * 30, "month"], [86400 * 7, "week"],
      [86400, "day"], [3600, "hour"], [60, "minute"]
    ];
    if (!(seconds >= 60)) return "just now";
    for (var i = 0; i < steps.length; i++) {
      var count = Math.floor(seconds / steps[i][0]);
      if (count >= 1) return count + "\u00a0" + steps[i][1] + (count === 1 ? "" : "s") + " ago";
    }
    return "just now";
  }

  function refreshTimes() {
    var times = document.querySelectorAll("time[data-ago][datetime]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(date.getTime())) times[i].textContent = ago(date);
    }
  }

  function follow(block) {
    var url = block.getAttribute("data-live-url");
    var offset = block.getAttribute("data-log-offset") || "0";
    var attempt = block.getAttribute("data-attempt") || "";
    var state = block.getAttribute("data-state");
    var panel = block.closest(".verification") || block;
    var text = block.querySelector("[data-live-log-text]");
    var pre = text && text.parentNode;
    var summary = block.querySelector("[data-live-summary]");
    var label = panel.querySelector("[data-live-status-label]");
    var hint = block.querySelector("[data-live-hint]");
    var note = block.querySelector("[data-live-note]");
    var detail = block.querySelector("[data-live-detail]");
    var failures = 0;

    if (hint) hint.hidden = true;
    if (note) note.hidden = false;
    if (summary) summary.setAttribute("aria-live", "polite");

    function show(data) {
      var atEnd = pre && pre.scrollHeight - pre.scrollTop - pre.clientHeight < STICKY_PX;
      if (data.reset) text.textContent = "";
      if (data.text) text.appendChild(document.createTextNode(data.text));
      if (atEnd) pre.scrollTop = pre.scrollHeight;
      offset = String(data.offset);
      attempt = String(data.attempt);
      if (detail) detail.textContent = data.detail || "";
      if (data.state !== state) {
        state = data.state;
        panel.className = panel.className.replace(/\bverification--\S+/, "verification--" + state);
        var chip = label && label.parentNode;
        if (chip) chip.className = chip.className.replace(/\bstatus--\S+/, "status--" + state);
        if (label) label.textContent = data.state_label;
        if (summary) {
          if (state === "queued") {
            summary.textContent = "Queued again, waiting for a worker.";
          } else if (state === "waiting") {
            summary.textContent = "Waiting: this run could not happen for a reason that is not the example's; it is retried by itself.";
          } else {
            summary.textContent = data.state_label + " now" + (data.attempt > 1 ? ", attempt " + data.attempt : "") + ".";
          }
        }
      }
    }

    // Reload once per run: if the reloaded page still shows it running (its cached copy was not
    // refreshed yet), say how it ended instead of reloading again and again.
    function finish(data) {
      var key = "live-log-reloaded:" + url;
      var again = false;
      try {
        again = window.sessionStorage.getItem(key) === "1";
        window.sessionStorage.setItem(key, "1");
      } catch (error) {
        again = false;
      }
      if (!again) {
        if (note) note.textContent = "finished, reloading";
        window.location.reload();
        return;
      }
      if (note) note.textContent = "ended";
      if (summary) summary.textContent = "This run has ended: " + data.state_label.toLowerCase() + ". Reload the page later to see its result.";
    }

    function poll() {
      var query = "?offset=" + encodeURIComponent(offset) + "&attempt=" + encodeURIComponent(attempt);
      fetch(url + query, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          show(data);
          if (data.finished) {
            finish(data);
            return;
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          failures += 1;
          if (note) note.textContent = "reconnecting";
          window.setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)));
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  refreshTimes();
  window.setInterval(refreshTimes, 60000);
  var blocks = document.querySelectorAll("[data-live-url]");
  for (var i = 0; i < blocks.length; i++) follow(blocks[i]);
})();
