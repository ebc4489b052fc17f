// Asks for confirmation before destructive actions (forms marked .confirm).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.classList && f.classList.contains("confirm")) {
    if (!window.confirm(f.getAttribute("data-confirm") || "确定执行该操作吗？")) {
      e.preventDefault();
    }
  }
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
