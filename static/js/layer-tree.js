// Opens a layer's file tree in place: the "Files" link and every folder link fetch one level
// as JSON and insert it below themselves; a second press closes it. Without this script the
// same links open a page per folder.
(function () {
  "use strict";

  function entryItem(entry) {
    var item = document.createElement("li");
    item.className = "file-tree__entry file-tree__entry--" + entry.type +
      (entry.change ? " file-tree__entry--" + entry.change : "");
    var name;
    if (entry.url) {
      name = document.createElement("a");
      name.className = "file-tree__folder";
      name.href = entry.url;
      name.setAttribute("data-tree-url", entry.url + "&format=json");
      name.setAttribute("aria-expanded", "false");
      name.textContent = entry.name + "/";
    } else {
      name = document.createElement("span");
      name.className = "file-tree__name";
      name.textContent = entry.name;
    }
    var bytes = document.createElement("span");
    bytes.className = "file-tree__bytes";
    bytes.textContent = entry.bytes_text;
    item.append(name, " ", bytes);
    if (entry.label) {
      var tag = document.createElement("span");
      tag.className = "tag file-tree__change";
      tag.textContent = entry.label;
      item.append(" ", tag);
    }
    return item;
  }

  function render(entries) {
    if (!entries.length) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = "No file changes below this folder.";
      return empty;
    }
    var list = document.createElement("ul");
    list.className = "file-tree";
    entries.forEach(function (entry) { list.appendChild(entryItem(entry)); });
    return list;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-tree-url]");
    if (!link) return;
    event.preventDefault();
    var open = link.nextElementSibling && link.nextElementSibling.hasAttribute("data-tree");
    if (open) {
      link.nextElementSibling.remove();
      link.setAttribute("aria-expanded", "false");
      return;
    }
    link.setAttribute("aria-busy", "true");
    fetch(link.getAttribute("data-tree-url"), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var holder = document.createElement("div");
        holder.setAttribute("data-tree", "");
        holder.appendChild(render(data.entries));
        link.after(holder);
        link.setAttribute("aria-expanded", "true");
      })
      .catch(function () { window.location.href = link.href; })
      .finally(function () { link.removeAttribute("aria-busy"); });
  });
})();
