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

  // "Was this answer helpful?" for the latest topic answer: a bar of its own under the chat (never among the
  // follow-up buttons), with real buttons and a status message. The bot names the topic in the answer's metadata
  // (channels/web.py); the feedback goes back as a payload with the topic, and the person sees "Helpful" or
  // "Not helpful" as their message. Every text is set with textContent: nothing is read as HTML.
  function feedbackBar(root, widget) {
    var bar = document.createElement("section");
    bar.className = "ia-feedback";
    bar.setAttribute("aria-label", "Feedback on the last answer");
    bar.hidden = true;
    root.insertAdjacentElement("afterend", bar);

    function send(intent, shown, topic) {
      var payload = "/" + intent + JSON.stringify({ feedback_topic: topic });
      if (widget.current) widget.current.sendMessage(payload, shown);
    }

    function thank(text, focusInput) {
      bar.replaceChildren();
      var status = document.createElement("p");
      status.setAttribute("role", "status");
      status.tabIndex = -1;
      status.textContent = text;
      bar.appendChild(status);
      var input = root.querySelector(".rw-new-message");
      if (focusInput && input) input.focus(); else status.focus();
    }

    function button(label, className, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = className;
      b.textContent = label;
      b.addEventListener("click", onClick);
      return b;
    }

    return function show(feedback) {
      if (!feedback || typeof feedback.topic !== "string") return;
      var title = typeof feedback.title === "string" ? feedback.title : "this topic";
      bar.replaceChildren();
      var question = document.createElement("p");
      question.id = "ia-feedback-question";
      question.textContent = "Was the answer on \u201c" + title + "\u201d helpful?";
      var group = document.createElement("div");
      group.setAttribute("role", "group");
      group.setAttribute("aria-labelledby", question.id);
      group.appendChild(button("Helpful", "ia-feedback-yes", function () {
        send("feedback_helpful", "Helpful", feedback.topic);
        thank("Thank you for your feedback.", false);
      }));
      group.appendChild(button("Not helpful", "ia-feedback-no", function () {
        send("feedback_not_helpful", "Not helpful", feedback.topic);
        thank("Thank you. Please type what you were looking for.", true);
      }));
      bar.appendChild(question);
      bar.appendChild(group);
      bar.hidden = false;
    };
  }

  function start(options) {
    var root = document.querySelector(options.selector);
    var widget = { current: null };
    var showFeedback = feedbackBar(root, widget);
    WebChat.default({
      innerRef: function (handle) { widget.current = handle; },
      onSocketEvent: {
        bot_uttered: function (message) { if (message && message.metadata) showFeedback(message.metadata.feedback); },
      },
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
