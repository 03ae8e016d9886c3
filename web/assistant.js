/* Starts the rasa-webchat widget for the immunotherapy assistant and makes it usable with the keyboard alone.
   Site owners embed it with the snippet in the README. */
(function () {
  "use strict";

  // The Rasa server's address: ?server=... on the page, else the page's host on port 5005.
  function defaultSocketUrl() {
    var fromQuery = new URLSearchParams(window.location.search).get("server");
    return fromQuery || window.location.protocol + "//" + window.location.hostname + ":5005";
  }

  // rasa-webchat renders quick-reply buttons as plain elements and its input without a label:
  // give them what a keyboard or screen-reader user needs.
  function improveAccessibility(root) {
    root.querySelectorAll(".rw-new-message").forEach(function (input) {
      if (!input.getAttribute("aria-label")) input.setAttribute("aria-label", "Type your question");
    });
    root.querySelectorAll(".rw-reply:not([data-keyboard])").forEach(function (reply) {
      reply.setAttribute("data-keyboard", "");
      reply.setAttribute("role", "button");
      reply.setAttribute("tabindex", "0");
      reply.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          reply.click();
        }
      });
    });
    root.querySelectorAll(".rw-send").forEach(function (button) {
      if (!button.getAttribute("aria-label")) button.setAttribute("aria-label", "Send");
    });
    root.querySelectorAll(".rw-messages-container").forEach(function (log) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
    });
  }

  function start(options) {
    var root = document.querySelector(options.selector);
    WebChat.default({
      selector: options.selector,
      socketUrl: options.socketUrl,
      socketPath: "/socket.io/",
      initPayload: "/greet",
      title: "Immunotherapy information",
      subtitle: "Answers from NCI content, not medical advice",
      inputTextFieldHint: "Type your question...",
      embedded: true,
      showFullScreenButton: false,
      displayUnreadCount: false,
      // a short pause between message parts, not a long imitation of typing
      customMessageDelay: function (message) { return Math.min(300 + message.length * 2, 900); },
      // sessionStorage: the conversation survives a reload in the same tab, and ends with the tab
      params: { storage: "session" },
    }, root);
    new MutationObserver(function () { improveAccessibility(root); })
      .observe(root, { childList: true, subtree: true });
  }

  window.ImmunoAssistant = { start: start, defaultSocketUrl: defaultSocketUrl };
})();
