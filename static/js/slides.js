// A workshop's slides (templates/workshops/slides.html). Without JavaScript every slide is shown
// in a column; with it, one slide at a time:
// - keys: Right, Space, Page Down next; Left, Shift+Space, Page Up back; Home, End; F full screen;
//   P the presenter view (current and next slide, notes, a timer, the clock); L back to live;
//   the toolbar's buttons do the same for mouse and touch;
// - the slide number is kept in the address (#N), so a reload stays where it was;
// - "presenter" mode posts each move to the server (only the newest position, one request at a
//   time), so that the attendees' follow pages can follow it;
// - "follow" mode polls the presenter's position every second and shows it, until the attendee
//   looks back; "Back to live" jumps to the live slide again.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 3000;
  var MOVE_GAP_MS = 120; // between two posts of the presenter's position

  var deck = document.getElementById("deck");
  if (!deck) return;
  var slides = deck.querySelectorAll(".deck__slides > .slide");
  var count = slides.length;
  if (!count) return;

  var mode = deck.getAttribute("data-mode");
  var toolbar = deck.querySelector(".deck__toolbar");
  var positionText = deck.querySelector("[data-deck-position]");
  var panel = deck.querySelector("[data-presenter]");
  var storageKey = "deck:" + location.pathname;
  var current = -1;

  function button(action) {
    return deck.querySelector('[data-deck-action="' + action + '"]');
  }

  function store(name, value) {
    try {
      if (value === null) sessionStorage.removeItem(storageKey + ":" + name);
      else sessionStorage.setItem(storageKey + ":" + name, value);
    } catch (error) { /* storage refused (private mode): the feature just forgets */ }
  }

  function stored(name) {
    try { return sessionStorage.getItem(storageKey + ":" + name); } catch (error) { return null; }
  }

  function fromHash() {
    var match = /^#(\d+)$/.exec(location.hash);
    return match ? parseInt(match[1], 10) - 1 : null;
  }

  function clamp(index) {
    return Math.max(0, Math.min(count - 1, index));
  }

  // --- showing a slide ---

  function show(index, how) {
    index = clamp(index);
    var moved = index !== current;
    if (moved) {
      if (current >= 0) {
        slides[current].hidden = true;
        slides[current].removeAttribute("tabindex");
      }
      slides[index].hidden = false;
      // Focusable, so that a slide taller than the screen can be scrolled with the keyboard.
      slides[index].setAttribute("tabindex", "0");
      current = index;
      deck.setAttribute("data-current", String(index + 1));
      positionText.textContent = "Slide " + (index + 1) + " of " + count;
      button("previous").setAttribute("aria-disabled", String(index === 0));
      button("first").setAttribute("aria-disabled", String(index === 0));
      button("next").setAttribute("aria-disabled", String(index === count - 1));
      button("last").setAttribute("aria-disabled", String(index === count - 1));
      if (panel && !panel.hidden) fillPresenter();
    }
    if (mode !== "follow" && location.hash !== "#" + (index + 1)) {
      history.replaceState(null, "", "#" + (index + 1));
    }
    if (moved && mode === "presenter" && !(how && how.quiet)) sendPosition(index + 1);
    if (mode === "follow") following.moved(how && how.live);
  }

  function go(index) {
    show(index, { live: false });
  }

  // --- presenter view: the next slide, the notes, a timer and the clock ---

  var timerText = deck.querySelector("[data-presenter-timer]");
  var clockText = deck.querySelector("[data-presenter-clock]");
  // Since the presentation started (live), else since this tab first showed the deck; a reload keeps it.
  var started = Number(stored("started")) || Date.parse(deck.getAttribute("data-started") || "") || Date.now();
  if (panel) store("started", String(started));

  function clean(node) {
    // A copy shown beside the real slide: no duplicate ids, nothing to tab to.
    var all = [node].concat(Array.prototype.slice.call(node.querySelectorAll("[id]")));
    for (var i = 0; i < all.length; i++) all[i].removeAttribute("id");
    node.removeAttribute("aria-label");
    node.removeAttribute("aria-roledescription");
    node.removeAttribute("tabindex");
    node.hidden = false;
    return node;
  }

  function fillPresenter() {
    var next = panel.querySelector("[data-presenter-next]");
    var notes = panel.querySelector("[data-presenter-notes]");
    next.textContent = "";
    notes.textContent = "";
    var last = current === count - 1;
    panel.querySelector("[data-presenter-last]").hidden = !last;
    if (!last) next.appendChild(clean(slides[current + 1].cloneNode(true)));
    var source = slides[current].querySelector(".slide__notes");
    if (source) {
      var copy = clean(source.cloneNode(true));
      var label = copy.querySelector(".slide__notes-label");
      if (label) label.parentNode.removeChild(label);
      notes.appendChild(copy);
    } else {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = "No notes for this slide.";
      notes.appendChild(none);
    }
  }

  function twoDigits(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function tick() {
    var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    timerText.textContent =
      Math.floor(seconds / 3600) + ":" + twoDigits(Math.floor(seconds / 60) % 60) + ":" + twoDigits(seconds % 60);
    var now = new Date();
    clockText.textContent = twoDigits(now.getHours()) + ":" + twoDigits(now.getMinutes());
  }

  function setPresenter(on) {
    if (!panel) return;
    panel.hidden = !on;
    deck.classList.toggle("deck--presenter-view", on);
    button("presenter").setAttribute("aria-pressed", String(on));
    store("presenter", on ? "on" : null);
    if (on) {
      fillPresenter();
      tick();
    }
  }

  // --- full screen ---

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (deck.requestFullscreen) {
      deck.requestFullscreen().catch(function () { /* refused: the page stays as it is */ });
    }
  }

  document.addEventListener("fullscreenchange", function () {
    var on = document.fullscreenElement === deck;
    deck.classList.toggle("deck--fullscreen", on);
    button("fullscreen").setAttribute("aria-pressed", String(on));
  });

  // --- presenter mode: post each move; only the newest position is sent, one request at a time ---

  var moveUrl = deck.getAttribute("data-move-url");
  var syncText = deck.querySelector("[data-deck-sync]");
  var pending = null;
  var sending = false;
  var stopped = false;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function sendPosition(slide) {
    pending = slide;
    if (!sending && !stopped) flush();
  }

  function flush() {
    if (pending === null || stopped) return;
    var slide = pending;
    pending = null;
    sending = true;
    var wait = MOVE_GAP_MS;
    fetch(moveUrl, {
      method: "POST",
      headers: {
        "X-CSRFToken": csrfToken(),
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json"
      },
      body: "slide=" + slide,
      credentials: "same-origin",
      cache: "no-store"
    })
      .then(function (response) {
        if (response.ok) {
          syncText.textContent = "The room sees slide " + slide + ".";
        } else if (response.status === 429) {
          wait = 1000 * (parseInt(response.headers.get("Retry-After"), 10) || 1);
          if (pending === null) pending = slide;
        } else {
          // 403: no longer this presenter's (logged out, or ended elsewhere); 404: ended.
          stopped = true;
          syncText.textContent = "The room no longer follows these slides (" + response.status + "). Reload to start again.";
        }
      })
      .catch(function () {
        syncText.textContent = "The server cannot be reached; trying again.";
        if (pending === null) pending = slide;
        wait = RETRY_MS;
      })
      .then(function () {
        sending = false;
        if (pending !== null) setTimeout(flush, wait);
      });
  }

  // --- follow mode: the presenter's position, polled ---

  var following = {
    on: true,
    live: null, // the presenter's slide, counted from 0
    status: deck.querySelector("[data-deck-live]"),
    say: function () {
      var words;
      if (this.ended) words = "The presentation has ended.";
      else if (this.on) words = "Following live";
      else words = "Looking back" + (this.live !== null ? ": the presenter is on slide " + (this.live + 1) : "");
      if (this.status.textContent !== words) this.status.textContent = words;
      button("live").setAttribute("aria-disabled", String(this.on || this.live === null));
      deck.classList.toggle("deck--looking-back", !this.on);
    },
    moved: function (byLive) {
      if (!byLive) this.on = false;
      this.say();
    },
    backToLive: function () {
      this.on = true;
      if (this.live !== null) show(this.live, { live: true });
      this.say();
    }
  };

  function poll() {
    var url = deck.getAttribute("data-position-url");
    var wait = POLL_MS;
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404) {
          following.ended = true;
          return null;
        }
        if (response.status === 429) {
          wait = 1000 * (parseInt(response.headers.get("Retry-After"), 10) || 5);
          return null;
        }
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data && typeof data.slide === "number") {
          following.live = clamp(data.slide - 1);
          if (following.on && following.live !== current) show(following.live, { live: true });
        }
        following.say();
      })
      .catch(function () {
        following.status.textContent = "Connection lost; trying again.";
        wait = RETRY_MS;
      })
      .then(function () {
        if (!following.ended) setTimeout(poll, wait);
      });
  }

  // --- keys and buttons ---

  var actions = {
    first: function () { go(0); },
    previous: function () { go(current - 1); },
    next: function () { go(current + 1); },
    last: function () { go(count - 1); },
    fullscreen: toggleFullscreen,
    presenter: function () { setPresenter(panel.hidden); },
    live: function () { following.backToLive(); },
    "reset-timer": function () {
      started = Date.now();
      store("started", String(started));
      tick();
    }
  };

  toolbar.hidden = false;
  deck.addEventListener("click", function (event) {
    var target = event.target.closest("[data-deck-action]");
    if (!target || !deck.contains(target)) return;
    var action = actions[target.getAttribute("data-deck-action")];
    if (action) action();
  });

  var KEYS = {
    ArrowRight: "next", PageDown: "next", " ": "next",
    ArrowLeft: "previous", PageUp: "previous",
    Home: "first", End: "last",
    f: "fullscreen", F: "fullscreen"
  };
  if (mode === "follow") {
    KEYS.l = KEYS.L = "live";
  } else {
    KEYS.p = KEYS.P = "presenter";
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    // Space and Enter on a button or link press it; the key must not also turn the slide.
    if ((event.key === " " || event.key === "Enter") && target.closest && target.closest("button, a, summary")) return;
    var name = KEYS[event.key];
    if (event.key === " " && event.shiftKey) name = "previous";
    if (!name || !actions[name]) return;
    event.preventDefault();
    actions[name]();
  });

  window.addEventListener("hashchange", function () {
    var index = fromHash();
    if (index !== null && mode !== "follow") go(index);
  });

  // --- start ---

  deck.classList.add("deck--js");
  for (var i = 0; i < count; i++) slides[i].hidden = true;
  var first = fromHash();
  if (mode === "follow") {
    show(0, { live: true });
    poll();
  } else if (first !== null) {
    show(first); // a presenter's reload also tells the room where it is
  } else if (mode === "presenter") {
    show(parseInt(deck.getAttribute("data-current"), 10) - 1 || 0, { quiet: true });
  } else {
    show(0);
  }
  if (panel) {
    setPresenter(stored("presenter") === "on");
    setInterval(function () { if (!panel.hidden) tick(); }, 1000);
  }
})();
