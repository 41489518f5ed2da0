//+------------------------------------------------------------------+
//| GoldCoinsLicense.mqh: checks a Gold Coins EA licence from MQL4 or |
//| MQL5. The EA calls GcLicence.Check() in OnInit and OnTimer; it    |
//| trades only while GcLicence.Allowed(). See docs/licences.md.      |
//| tests/support/licence-client.ts does the same, step for step, so  |
//| the protocol is tested where MetaTrader cannot run.               |
//+------------------------------------------------------------------+
#property strict

#define GC_SIGNATURE_VERSION "goldcoins-licence-v1"

//--- GcNormalizeKey: spaces and dashes dropped, upper case.
string GcNormalizeKey(string key)
  {
   string out = "";
   int n = StringLen(key);
   for(int i = 0; i < n; i++)
     {
      string ch = StringSubstr(key, i, 1);
      if(ch != " " && ch != "-")
         out += ch;
     }
   StringToUpper(out);
   return out;
  }

//--- GcNonce: 32 hex characters, fresh for every check.
string GcNonce()
  {
   string out = "";
   for(int i = 0; i < 16; i++)
     {
      int b = (MathRand() ^ (int)(GetMicrosecondCount() >> (i % 8)) ^ (int)TimeLocal()) & 0xFF;
      out += StringFormat("%02x", b);
     }
   return out;
  }

//--- GcJsonEscape: backslash and quote escaped.
string GcJsonEscape(string s)
  {
   StringReplace(s, "\\", "\\\\");
   StringReplace(s, "\"", "\\\"");
   return s;
  }

//--- GcBuildBody: the JSON posted to the verify URL, fields in this order.
string GcBuildBody(string key, string account, string account_type, string server, string product_id, string ea_version, string nonce)
  {
   return "{\"key\":\"" + GcJsonEscape(key) + "\",\"account\":\"" + GcJsonEscape(account) + "\",\"account_type\":\"" + account_type + "\"," +
          "\"server\":\"" + GcJsonEscape(server) + "\",\"product_id\":\"" + GcJsonEscape(product_id) + "\"," +
          "\"ea_version\":\"" + GcJsonEscape(ea_version) + "\",\"nonce\":\"" + GcJsonEscape(nonce) + "\"}";
  }

//--- GcJsonField: the string value of "name" in the flat answer object; "" when missing.
string GcJsonField(string json, string name)
  {
   string pattern = "\"" + name + "\":\"";
   int start = StringFind(json, pattern);
   if(start < 0)
      return "";
   string out = "";
   int n = StringLen(json);
   for(int i = start + StringLen(pattern); i < n; i++)
     {
      string ch = StringSubstr(json, i, 1);
      if(ch == "\\" && i + 1 < n)
        {
         out += StringSubstr(json, i + 1, 1);
         i++;
         continue;
        }
      if(ch == "\"")
         return out;
      out += ch;
     }
   return "";
  }

//--- UTF-8 bytes of a string, without the terminating zero.
void GcBytes(string s, uchar &bytes[])
  {
   int n = StringToCharArray(s, bytes, 0, -1, CP_UTF8);
   ArrayResize(bytes, MathMax(n - 1, 0));
  }

void GcSha256(const uchar &data[], uchar &digest[])
  {
   uchar nokey[];
   CryptEncode(CRYPT_HASH_SHA256, data, nokey, digest);
  }

//--- GcHmacSha256Hex: HMAC built from SHA-256 by hand (CryptEncode has SHA-256 but no HMAC).
string GcHmacSha256Hex(string key, string message)
  {
   uchar k[], msg[], ipad[64], opad[64], inner[], outer[], digest[];
   GcBytes(key, k);
   if(ArraySize(k) > 64)
     {
      uchar hashed[];
      GcSha256(k, hashed);
      ArrayCopy(k, hashed);
      ArrayResize(k, ArraySize(hashed));
     }
   ArrayInitialize(ipad, 0x36);
   ArrayInitialize(opad, 0x5c);
   for(int i = 0; i < ArraySize(k); i++)
     {
      ipad[i] = (uchar)(ipad[i] ^ k[i]);
      opad[i] = (uchar)(opad[i] ^ k[i]);
     }
   GcBytes(message, msg);
   ArrayResize(inner, 64 + ArraySize(msg));
   ArrayCopy(inner, ipad, 0, 0, 64);
   ArrayCopy(inner, msg, 64, 0, ArraySize(msg));
   uchar inner_digest[];
   GcSha256(inner, inner_digest);
   ArrayResize(outer, 64 + ArraySize(inner_digest));
   ArrayCopy(outer, opad, 0, 0, 64);
   ArrayCopy(outer, inner_digest, 64, 0, ArraySize(inner_digest));
   GcSha256(outer, digest);
   string hex = "";
   for(int j = 0; j < ArraySize(digest); j++)
      hex += StringFormat("%02x", digest[j]);
   return hex;
  }

//--- GcCanonical: the signed text, in the protocol's field order.
string GcCanonical(string json)
  {
   string fields[8] = {"nonce", "product_id", "account", "status", "reason", "expires_at", "latest_version", "server_time"};
   string out = GC_SIGNATURE_VERSION;
   for(int i = 0; i < 8; i++)
      out += "\n" + GcJsonField(json, fields[i]);
   return out;
  }

//--- GcCheckAnswer: the signature, then the nonce, account and product echoed; only then the status counts.
string GcCheckAnswer(string key, string nonce, string account, string product_id, string json)
  {
   string signature = GcJsonField(json, "signature");
   StringToLower(signature);
   if(signature == "" || GcHmacSha256Hex(key, GcCanonical(json)) != signature)
      return "tampered";
   if(GcJsonField(json, "nonce") != nonce)
      return "tampered";
   if(GcJsonField(json, "account") != account || GcJsonField(json, "product_id") != product_id)
      return "tampered";
   return GcJsonField(json, "status") == "valid" ? "valid" : "invalid";
  }

//+------------------------------------------------------------------+
//| CGoldCoinsLicense: checks at start and every check_hours, keeps   |
//| the last good check for the offline grace, shows its status.      |
//+------------------------------------------------------------------+
class CGoldCoinsLicense
  {
private:
   string            m_url;
   string            m_key;
   string            m_product_id;
   string            m_ea_version;
   int               m_check_hours;
   int               m_grace_hours;
   datetime          m_last_valid;
   datetime          m_last_check;
   bool              m_allowed;

   bool              Offline(string why)
     {
      reason = why;
      m_allowed = m_last_valid != 0 && TimeLocal() - m_last_valid < m_grace_hours * 3600;
      status = m_allowed ? "offline (grace)" : "offline";
      return m_allowed;
     }

public:
   string            status;
   string            reason;
   string            expires_at;
   string            latest_version;

                     CGoldCoinsLicense() : m_check_hours(4), m_grace_hours(72), m_last_valid(0), m_last_check(0), m_allowed(false)
     {
      status = "not checked";
      reason = "";
      expires_at = "";
      latest_version = "";
     }

   void              Init(string url, string key, string product_id, string ea_version, int check_hours, int grace_hours)
     {
      m_url = url;
      m_key = key;
      m_product_id = product_id;
      m_ea_version = ea_version;
      m_check_hours = check_hours;
      m_grace_hours = grace_hours;
      MathSrand((int)GetTickCount());
     }

   bool              Allowed() { return m_allowed; }

   //--- OnInit and OnTimer: checks when due; returns whether the EA may trade.
   bool              Check()
     {
      // WebRequest does not run in the Strategy Tester: testing and optimizing are allowed.
      if(MQLInfoInteger(MQL_TESTER) || MQLInfoInteger(MQL_OPTIMIZATION))
        {
         status = "Strategy Tester";
         m_allowed = true;
         return true;
        }
      datetime now = TimeLocal();
      if(m_last_check != 0 && now - m_last_check < m_check_hours * 3600)
         return m_allowed;
      m_last_check = now;
      string key = GcNormalizeKey(m_key);
      string account = IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN));
      string account_type = AccountInfoInteger(ACCOUNT_TRADE_MODE) == ACCOUNT_TRADE_MODE_DEMO ? "demo" : "real";
      string server = AccountInfoString(ACCOUNT_SERVER);
      string nonce = GcNonce();
      uchar data[], result[];
      GcBytes(GcBuildBody(key, account, account_type, server, m_product_id, m_ea_version, nonce), data);
      string result_headers;
      ResetLastError();
      int http = WebRequest("POST", m_url, "Content-Type: application/json\r\n", 10000, data, result, result_headers);
      if(http == -1)
        {
         int err = GetLastError();
         // 4014 (MQL5) / 4060 (MQL4): the URL is not in Tools > Options > Expert Advisors > "Allow WebRequest".
         return Offline(err == 4014 || err == 4060 ? "allow WebRequest for " + m_url : "no connection");
        }
      if(http != 200)
         return Offline("HTTP " + IntegerToString(http));
      string body = CharArrayToString(result, 0, WHOLE_ARRAY, CP_UTF8);
      string verdict = GcCheckAnswer(key, nonce, account, m_product_id, body);
      reason = verdict == "tampered" ? "bad signature" : GcJsonField(body, "reason");
      if(verdict == "valid")
        {
         status = "valid";
         expires_at = GcJsonField(body, "expires_at");
         latest_version = GcJsonField(body, "latest_version");
         m_last_valid = now;
         m_allowed = true;
        }
      else
        {
         status = verdict;
         m_allowed = false;
        }
      return m_allowed;
     }

   //--- The chart comment: Comment(GcLicence.StatusText()).
   string            StatusText()
     {
      string text = "Gold Coins licence: " + status;
      if(reason != "")
         text += " (" + reason + ")";
      if(expires_at != "")
         text += ", until " + expires_at;
      if(latest_version != "" && latest_version != m_ea_version)
         text += ", version " + latest_version + " available";
      return text;
     }
  };

CGoldCoinsLicense GcLicence;
//+------------------------------------------------------------------+
