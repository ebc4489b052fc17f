// Asks for confirmation before destructive actions (forms marked .confirm).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.classList && f.classList.contains("confirm")) {
    if (!window.confirm(f.getAttribute("data-confirm") || "确定执行该操作吗？")) {
      e.preventDefault();
    }
  }
});

// Configuration item pickers (input[data-ci-options] with a <datalist>):
// as the user types, ask the server for the matching items and refresh the
// choices. Without script the browser filters the choices the form came with.
document.addEventListener("input", function (e) {
  var el = e.target;
  if (!el.getAttribute || !el.getAttribute("data-ci-options") || !el.list || !window.fetch) return;
  clearTimeout(el._ciTimer);
  el._ciTimer = setTimeout(function () {
    fetch(el.getAttribute("data-ci-options") + "?q=" + encodeURIComponent(el.value), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) el.list.innerHTML = html; })
      .catch(function () {});
  }, 250);
});

// Menus: one open at a time, closed by a click elsewhere or Escape (the
// menus work without this; it only tidies them).
document.addEventListener("click", function (e) {
  var menus = document.querySelectorAll("details.menu[open]");
  for (var i = 0; i < menus.length; i++) {
    if (!menus[i].contains(e.target)) {
      menus[i].removeAttribute("open");
    }
  }
});
document.addEventListener("keydown", function (e) {
  if (e.key === "Escape") {
    var menus = document.querySelectorAll("details.menu[open]");
    for (var i = 0; i < menus.length; i++) {
      menus[i].removeAttribute("open");
    }
  }
});

// 打印 buttons (hidden without JavaScript; Ctrl+P prints the same page).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    window.print();
  });
});
