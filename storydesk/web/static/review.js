// The review page's keys. Decisions are plain form posts: this only presses the buttons
// and moves the focus, so the page works the same with the mouse.
(function () {
  "use strict";

  function typing(target) {
    if (target && target.tagName === "INPUT" && target.type === "checkbox") { return false; }
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
  }

  function submit(form) {
    if (!form || form.dataset.sent) { return; }
    form.dataset.sent = "1"; // one decision per press, however fast the keys come
    form.submit();
  }

  function play(box) {
    var src = box && box.dataset.player;
    if (!src || box.querySelector("iframe")) { return; }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = "video player";
    frame.setAttribute("allow", "encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    // the platform sees this page's origin (YouTube refuses to play without one), never its path
    frame.setAttribute("referrerpolicy", "strict-origin");
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups");
    box.replaceChildren(frame);
  }

  var played = 0;

  // after a refused or conflicting decision the address is the form's: show the card's
  // own, so a reload reads the card instead of sending the decision again
  var card = document.getElementById("card");
  if (card && /\/decide$/.test(window.location.pathname)) {
    window.history.replaceState(null, "", card.dataset.href);
  }

  // a thumbnail the platform no longer serves (or this machine cannot reach) goes away
  // rather than leaving a broken-image mark over the player's buttons
  document.addEventListener("error", function (event) {
    if (event.target && event.target.tagName === "IMG") { event.target.remove(); }
  }, true);
  document.querySelectorAll("img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) { img.remove(); } // failed before we listened
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.play");
    if (button) { play(button.closest(".player")); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "j") { go("next"); }
    else if (key === "k") { go("prev"); }
    else if (key === "a") {
      var reason = document.getElementById("override-text");
      if (reason) { reason.focus(); } else { submit(document.getElementById("approve")); }
    }
    else if (key === "r" || key === "h") {
      var field = document.getElementById(key === "r" ? "reject-text" : "hold-text");
      if (field) { field.focus(); }
    }
    else if (/^[1-9]$/.test(key)) {
      // the copy choice: the nth copy's box, where the testimony has several
      var box = document.querySelectorAll("input.choose")[Number(key) - 1];
      if (!box) { return; }
      if (!box.disabled) { box.checked = !box.checked; }
    }
    else if (key === "v") {
      var boxes = document.querySelectorAll(".player[data-player]");
      if (boxes.length) { play(boxes[played % boxes.length]); played += 1; }
    }
    else if (key === "o") {
      var open = document.querySelector("a.open");
      if (open) { window.open(open.href, "_blank", "noopener,noreferrer"); }
    }
    else { return; }
    event.preventDefault(); // the key was ours: it must not also land in a field
  });
})();
