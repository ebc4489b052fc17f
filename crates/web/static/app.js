// Asks for confirmation before destructive actions (forms marked .confirm).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.classList && f.classList.contains("confirm")) {
    if (!window.confirm(f.getAttribute("data-confirm") || "确定执行该操作吗？")) {
      e.preventDefault();
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
