// Plain server mode for twilio-node: send Trunking requests to a fake-trunking server's base URL.
const twilio = require("twilio");

class FakeTrunkingHttpClient extends twilio.RequestClient {
  constructor(baseUrl, options) {
    super(options);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  request(opts) {
    const uri = opts.uri.replace(/^https:\/\/trunking(\.[A-Za-z0-9-]+){0,2}\.twilio\.com/i, this.baseUrl);
    return super.request({ ...opts, uri });
  }
}

module.exports = { FakeTrunkingHttpClient };
