// Plain server mode for twilio-node: send Trunking and API v2010 requests to a fake-trunking
// server's base URL (one server serves both path trees).
const twilio = require("twilio");

class FakeTrunkingHttpClient extends twilio.RequestClient {
  constructor(baseUrl, options) {
    super(options);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  request(opts) {
    const uri = opts.uri.replace(/^https:\/\/(trunking|api)(\.[A-Za-z0-9-]+){0,2}\.twilio\.com/i, this.baseUrl);
    return super.request({ ...opts, uri });
  }
}

module.exports = { FakeTrunkingHttpClient };
