// Copy buttons: `data-copy-target` names the element whose raw text is copied (for a
// highlighted file, the text of its <pre>; line numbers live in CSS, so none are copied).
// The buttons stay hidden without JavaScript, since they could not work.
(function () {
  "use strict";

  var CONFIRM_MS = 2000;
  var buttons = document.querySelectorAll("button[data-copy-target]");
  if (!buttons.length) return;

  function sourceText(target) {
    var element = target.matches("pre, code") ? target : target.querySelector("pre") || target;
    return element.textContent;
  }

  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithTextarea(text);
      });
    }
    return copyWithTextarea(text);
  }

  function selectText(target) {
    var element = target.querySelector("pre") || target;
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function confirm(button, state, message) {
    var label = button.querySelector(".copy-button__label") || button;
    window.clearTimeout(button._copyTimer);
    button.setAttribute("data-state", state);
    label.textContent = message;
    button._copyTimer = window.setTimeout(function () {
      button.removeAttribute("data-state");
      label.textContent = "Copy";
    }, CONFIRM_MS);
  }

  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(sourceText(target)).then(
        function () {
          confirm(button, "copied", "Copied");
        },
        function () {
          selectText(target);
          confirm(button, "failed", "Press Ctrl+C to copy");
        }
      );
    });
  });
})();
