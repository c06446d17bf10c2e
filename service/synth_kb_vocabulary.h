// The vocabularies and text of the synthetic KB generator (service/synth_kb.cc):
// question templates, products, situations, fillers, synonyms, typos and the
// Simplified -> Traditional table. Data only; included by synth_kb.cc alone.
#ifndef ZHIKU_SERVICE_SYNTH_KB_VOCABULARY_H_
#define ZHIKU_SERVICE_SYNTH_KB_VOCABULARY_H_

#include <utility>
#include <vector>

namespace zhiku::synth::vocabulary {

// ---------------------------------------------------------------------------
// Vocabularies

// The one question word of a template, written {how}, {can}, ... in it.
enum class Slot { kNone, kHow, kCan, kLong, kWhere, kWhy, kWhat };

struct SlotWord {
  const char* word;
  const char* suffix;  // appended at the end of the question ("可以…吗")
};

// Index 0 is the canonical choice.
inline const std::vector<SlotWord>& ZhSlotWords(Slot slot) {
  static const auto* const kWords = new std::vector<std::vector<SlotWord>>{
      {},
      {{"怎么", ""}, {"如何", ""}, {"怎样", ""}, {"要怎么", ""}, {"咋", ""}},
      {{"能不能", ""}, {"可不可以", ""}, {"能否", ""}, {"可以", "吗"}, {"能", "吗"}},
      {{"多久", ""}, {"多长时间", ""}, {"要多久", ""}, {"大概多久", ""}},
      {{"在哪里", ""}, {"在哪", ""}, {"在哪儿", ""}, {"去哪里", ""}},
      {{"为什么", ""}, {"为啥", ""}, {"怎么", ""}},
      {{"怎么办", ""}, {"该怎么办", ""}, {"咋办", ""}, {"怎么处理", ""}},
  };
  return (*kWords)[static_cast<int>(slot)];
}

inline const std::vector<SlotWord>& EnSlotWords(Slot slot) {
  static const auto* const kWords = new std::vector<std::vector<SlotWord>>{
      {},
      {{"How do I", ""}, {"How can I", ""}, {"How should I", ""}, {"What's the way to", ""}},
      {{"Can I", ""}, {"Is it possible to", ""}, {"Could I", ""}, {"Am I able to", ""}},
      {{"How long does it take to", ""}, {"How many days does it take to", ""}, {"How long will it take to", ""}},
      {{"Where do I", ""}, {"Where can I", ""}},
      {},
      {{"What should I do if", ""}, {"What can I do if", ""}, {"What do I do if", ""}},
  };
  return (*kWords)[static_cast<int>(slot)];
}

inline constexpr std::pair<const char*, Slot> kSlotNames[] = {
    {"{how}", Slot::kHow},     {"{can}", Slot::kCan}, {"{long}", Slot::kLong},
    {"{where}", Slot::kWhere}, {"{why}", Slot::kWhy}, {"{what}", Slot::kWhat},
};

struct Intent {
  const char* category;
  const char* tag_zh;
  const char* tag_en;
  // Chinese question after the product ("{p}" is implicit at its start).
  const char* zh;
  // English question with {p} (product) and {c} (condition phrase).
  const char* en;
  const char* zh_answer;  // {p} = product
  const char* en_answer;
};

// clang-format off
inline constexpr Intent kIntents[] = {
  {"orders", "取消订单", "cancel order", "订单{how}取消", "{how} cancel my {p} order{c}",
   "{p}订单在发货前可以直接取消：进入「我的订单」，找到该订单后点击「取消订单」并选择原因即可。已付款的订单取消后，款项会原路退回。",
   "You can cancel a {p} order before it ships: open My Orders, select the order and tap Cancel Order. Any payment goes back to the original method."},
  {"orders", "修改地址", "change address", "订单{can}修改收货地址", "{can} change the delivery address of my {p} order{c}",
   "{p}订单发货前可以修改收货地址：在订单详情页点击「修改地址」，填写新地址后保存。订单发货后地址无法在线修改，请联系快递员协商改派。",
   "Before a {p} order ships, change its address on the order page under Change Address. After it ships, ask the courier to redirect it."},
  {"orders", "物流查询", "tracking", "订单{where}查看物流", "{where} see the tracking for my {p} order{c}",
   "{p}订单发货后，在「我的订单」中打开订单，点击「查看物流」即可看到快递公司、运单号和最新的配送状态。",
   "Once your {p} order ships, open it in My Orders and tap Track Package to see the courier, tracking number and latest status."},
  {"orders", "待发货", "awaiting shipment", "订单{why}一直显示待发货", "Why does my {p} order{c} still say awaiting shipment",
   "{p}订单一般在付款后48小时内发货，预售商品以页面标注的发货时间为准。超过承诺时间仍未发货的，可以在订单页点击「催发货」。",
   "{p} orders usually ship within 48 hours of payment; pre-orders ship on the date shown. If it is late, tap Remind Seller on the order page."},
  {"orders", "合并付款", "combined payment", "订单{can}合并付款", "{can} pay for my {p} order{c} together with other orders",
   "同一店铺的多个待付款订单可以合并付款：在「待付款」列表中勾选{p}订单和其他订单，点击「合并付款」即可。不同店铺的订单需要分别支付。",
   "Unpaid orders from the same shop can be paid together: tick your {p} order and the others under Awaiting Payment and tap Pay Together."},
  {"orders", "催发货", "faster shipping", "订单{how}催发货", "{how} get my {p} order{c} shipped faster",
   "进入{p}订单详情，点击「催发货」，系统会提醒商家尽快发货。如超过承诺发货时间仍未发出，您可以申请取消订单或联系客服获得补偿。",
   "Open your {p} order and tap Remind Seller. If it misses the promised date, you can cancel the order or ask support for compensation."},
  {"orders", "发货时间", "shipping time", "订单{long}能发货", "{long} ship my {p} order{c}",
   "现货{p}订单一般在付款后24-48小时内发货，大促期间可能延迟到72小时。预售商品按商品页标注的时间发货。",
   "In-stock {p} orders ship within 24-48 hours of payment, up to 72 hours during big sales. Pre-orders ship on the date on the product page."},
  {"orders", "门店自提", "store pickup", "订单{can}改成门店自提", "{can} switch my {p} order{c} to store pickup",
   "{p}订单在发货前可以改为门店自提：在订单详情页点击「修改配送方式」，选择附近的门店。到店后出示取件码即可取货。",
   "Before your {p} order ships, choose Change Delivery Method on the order page and pick a nearby store. Show the pickup code there."},
  {"orders", "订单被取消", "order cancelled", "订单{why}被系统取消了", "Why was my {p} order{c} cancelled by the system",
   "{p}订单超过30分钟未付款、库存不足或风控校验未通过时，系统会自动取消订单。已付款的金额会在1-3个工作日内原路退回。",
   "A {p} order is cancelled automatically if it is unpaid after 30 minutes, out of stock or fails a security check. Payments are refunded in 1-3 business days."},
  {"orders", "删除订单", "delete order", "订单{how}删除", "{how} delete my {p} order{c} from the list",
   "已完成或已取消的{p}订单可以删除：在「我的订单」中长按订单，选择「删除订单」。删除后无法恢复，但不影响售后和发票。",
   "Completed or cancelled {p} orders can be deleted: press and hold the order in My Orders and choose Delete. After-sales and invoices are kept."},
  {"refunds", "退款到账", "refund time", "退款{long}到账", "{long} get the refund for my {p} order{c}",
   "{p}退款审核通过后会原路退回：微信和支付宝一般当天到账，银行卡1-7个工作日到账，信用卡以发卡行入账时间为准。",
   "Once a {p} refund is approved it goes back to the original payment method: wallets usually the same day, bank cards in 1-7 business days."},
  {"refunds", "申请退款", "request refund", "{how}申请退款", "{how} request a refund for my {p} order{c}",
   "在「我的订单」中找到{p}订单，点击「申请售后」并选择「退款」，填写原因后提交。商家一般在48小时内处理。",
   "Find your {p} order in My Orders, tap After-sales, choose Refund and give a reason. The seller usually responds within 48 hours."},
  {"refunds", "退款被拒", "refund rejected", "退款{why}被拒绝了", "Why was the refund for my {p} order{c} rejected",
   "{p}退款被拒绝通常是因为超过售后期限、商品影响二次销售或凭证不足。您可以在售后详情查看拒绝原因，补充照片后重新申请。",
   "A {p} refund is usually rejected when the after-sales period has ended, the item cannot be resold or proof is missing. Reapply with photos."},
  {"refunds", "仅退款", "refund without return", "{can}只退款不退货", "{can} get a refund for my {p} order{c} without returning it",
   "{p}未发货、未收到货或商品存在少件、错发等问题时，可以申请「仅退款」。已收到且没有质量问题的商品需要先退货再退款。",
   "You can get a refund without a return if your {p} order has not shipped, never arrived, or came incomplete or wrong. Otherwise return it first."},
  {"refunds", "退款进度", "refund status", "退款{where}查进度", "{where} check the refund status of my {p} order{c}",
   "在「我的」-「退款/售后」中打开{p}的售后单，可以看到审核、退货签收和退款到账的每一步进度及时间。",
   "Open the {p} request under Me > Refunds & After-sales to see each step: review, return received and refund paid, with times."},
  {"refunds", "部分退款", "partial refund", "{can}部分退款", "{can} get a partial refund for my {p} order{c}",
   "{p}订单中的部分商品可以单独申请退款；如果商品有轻微瑕疵但愿意保留，也可以和商家协商部分退款，金额以商家同意为准。",
   "You can refund single items of a {p} order, or keep a slightly flawed item and agree a partial refund with the seller."},
  {"refunds", "退款方式", "refund method", "退款{can}退到银行卡", "{can} have the refund for my {p} order{c} sent to my bank card",
   "{p}退款默认原路退回到付款账户，暂不支持更换退款方式。用银行卡付款的会退回该银行卡，到账时间以银行处理为准。",
   "{p} refunds always go back to the account you paid with; the refund method cannot be changed. Card payments go back to the same card."},
  {"returns", "申请退货", "return", "{how}申请退货", "{how} return my {p} order{c}",
   "在{p}订单详情点击「申请售后」，选择「退货退款」并填写原因，审核通过后按页面上的退货地址寄回，并填写快递单号。",
   "On the {p} order page tap After-sales, choose Return and Refund and give a reason. Once approved, send it to the address shown."},
  {"returns", "七天无理由", "7-day return", "{can}七天无理由退货", "{can} return my {p} order{c} within 7 days without a reason",
   "支持七天无理由退货的{p}在签收后7天内可以申请退货，商品需保持完好、配件齐全且不影响二次销售。定制商品和生鲜不适用。",
   "{p} items marked 7-day returns can be returned within 7 days of delivery if intact and complete. Custom-made items and fresh food are excluded."},
  {"returns", "退货运费", "return shipping", "退货运费{how}算", "Who pays the return shipping for my {p} order{c}",
   "{p}因质量问题退货的，运费由商家承担；无理由退货的运费由买家承担，购买了运费险的可获得相应理赔。",
   "If a {p} is returned for a quality problem the seller pays the shipping; for returns without a reason you pay, unless you have return insurance."},
  {"returns", "寄回商品", "send back", "退货{how}寄回", "{how} send back my {p} order{c} for a return",
   "退货申请通过后，您可以预约上门取件，或自行把{p}寄到售后页面显示的退货地址，寄出后请在售后单中填写快递单号。",
   "After the return is approved, book a courier pickup or send the {p} to the return address shown, then enter the tracking number."},
  {"returns", "上门取件", "courier pickup", "{can}上门取件退货", "{can} have a courier pick up my {p} order{c} for return",
   "支持上门取件：在{p}的售后单中点击「预约取件」，选择时间段，快递员会在约定时间上门收件，运费按页面规则结算。",
   "Yes: in the {p} return request tap Book Pickup and choose a time slot; the courier collects the parcel at your door."},
  {"exchanges", "换货", "exchange", "{how}换货", "{how} exchange my {p} order{c}",
   "签收后15天内，{p}出现质量问题可以申请换货：在订单详情点击「申请售后」-「换货」，寄回原商品后商家会重新发出新的商品。",
   "Within 15 days of delivery you can exchange a faulty {p}: tap After-sales > Exchange, send the item back and the seller ships a new one."},
  {"exchanges", "换尺码", "size exchange", "{can}换颜色或尺码", "{can} exchange my {p} order{c} for another colour or size",
   "{p}在签收后7天内、商品完好的情况下可以换颜色或尺码，需要确认目标款式有库存。换货产生的运费由买家承担。",
   "Within 7 days of delivery you can exchange an intact {p} for another colour or size if it is in stock; you pay the shipping."},
  {"exchanges", "换货时间", "exchange time", "换货{long}能收到", "{long} receive the replacement for my {p} order{c}",
   "商家收到退回的{p}并检查无误后，一般在48小时内寄出新商品，您可以在售后单中查看新的物流单号。",
   "Once the seller receives and checks the returned {p}, the replacement usually ships within 48 hours; its tracking number appears in the request."},
  {"invoices", "开发票", "invoice", "订单{how}开发票", "{how} get an invoice for my {p} order{c}",
   "{p}订单确认收货后，在订单详情点击「申请开票」，选择个人或单位抬头并填写税号，电子发票一般在1-3个工作日内开具。",
   "After confirming receipt of your {p} order, tap Request Invoice on the order page and choose a title. E-invoices are issued in 1-3 business days."},
  {"invoices", "专用发票", "VAT invoice", "订单{can}开增值税专用发票", "{can} get a VAT special invoice for my {p} order{c}",
   "企业用户可以为{p}订单申请增值税专用发票，需要提供单位名称、税号、开户银行、账号、注册地址和电话，审核通过后邮寄纸质发票。",
   "Companies can request a VAT special invoice for a {p} order with their name, tax number, bank details and address; it is posted after review."},
  {"invoices", "发票抬头", "invoice title", "订单的发票{how}修改抬头", "{how} change the invoice title for my {p} order{c}",
   "{p}订单的发票开具后如需修改抬头，可在发票页面点击「换开发票」，原电子发票作废后重新开具，每个订单可换开一次。",
   "To change the title of an issued {p} invoice, tap Reissue on the invoice page; the old e-invoice is voided and a new one issued, once per order."},
  {"invoices", "下载发票", "download invoice", "订单的电子发票{where}下载", "{where} download the e-invoice for my {p} order{c}",
   "{p}订单的电子发票开具后，可在「我的订单」-订单详情-「查看发票」中下载PDF，也可以填写邮箱让系统发送到邮箱。",
   "Once issued, the {p} e-invoice can be downloaded as a PDF under My Orders > order details > View Invoice, or sent to your email."},
  {"invoices", "开票时间", "invoice time", "订单发票{long}能开好", "{long} issue the invoice for my {p} order{c}",
   "{p}订单的电子发票在申请后1-3个工作日内开具，纸质发票在开具后5-7个工作日寄出，大促期间可能略有延迟。",
   "E-invoices for {p} orders are issued within 1-3 business days of the request; paper invoices are posted within 5-7 business days."},
  {"shipping", "指定快递", "choose courier", "{can}指定快递公司", "{can} choose the courier for my {p} order{c}",
   "{p}订单默认由系统分配快递公司，暂不支持指定。如有特殊需要，可以在下单时的备注中说明，商家会尽量安排。",
   "The courier for {p} orders is assigned automatically and cannot be chosen. Leave a note when ordering and the seller will try to help."},
  {"shipping", "物流不更新", "tracking not updating", "快递{why}一直不更新", "Why is the tracking for my {p} order{c} not updating",
   "{p}的物流信息一般在揽收后24小时内更新，中转期间可能暂时不更新。如超过72小时没有变化，请联系客服帮您向快递公司核实。",
   "Tracking for a {p} usually updates within 24 hours of pickup and may pause in transit. If nothing changes for 72 hours, contact support."},
  {"shipping", "配送时间", "delivery time", "{how}修改配送时间", "{how} change the delivery time of my {p} order{c}",
   "{p}订单在出库前可以在订单详情点击「修改配送时间」，选择新的日期和时段。已出库的订单请直接联系配送员协商。",
   "Before your {p} order leaves the warehouse, tap Change Delivery Time on the order page. After that, arrange a time with the courier."},
  {"shipping", "运费", "shipping fee", "运费{how}算", "{how} find out the shipping fee for my {p} order{c}",
   "{p}订单满99元包邮，不满99元收取8元运费，偏远地区和大件商品另有运费标准，以结算页显示的金额为准。",
   "{p} orders over 99 yuan ship free; below that shipping is 8 yuan. Remote areas and bulky items have their own rates, shown at checkout."},
  {"shipping", "国际配送", "international delivery", "{can}寄到国外", "{can} have my {p} order{c} shipped abroad",
   "目前{p}只支持寄送到中国大陆、香港、澳门和台湾地区的地址，暂不支持国际配送，海外用户可以使用转运服务。",
   "{p} orders can only be delivered within mainland China, Hong Kong, Macau and Taiwan; international delivery is not available yet."},
  {"shipping", "快递丢件", "lost parcel", "快递丢了{what}", "{what} the parcel with my {p} order{c} is lost",
   "如果{p}的物流长时间没有更新或快递确认丢件，请在订单页申请售后并选择「未收到货」，核实后我们会为您补发或全额退款。",
   "If the parcel with your {p} is lost or tracking has stopped, open After-sales and choose Not Received; after checking we resend or refund in full."},
  {"after-sales", "保修", "warranty", "{how}申请保修", "{how} claim the warranty for my {p} order{c}",
   "{p}在保修期内出现非人为故障，可以在订单详情点击「申请售后」-「维修」，按提示寄回或预约上门检测，保修凭证为电子发票。",
   "If your {p} develops a fault within the warranty period, tap After-sales > Repair and send it in or book a check. The e-invoice is your proof."},
  {"after-sales", "商品损坏", "damaged item", "坏了{what}", "{what} my {p} order{c} arrived broken",
   "收到的{p}有破损或无法使用，请在签收后48小时内拍照，在订单页申请售后并上传照片，审核通过后可以选择换新或退款。",
   "If your {p} arrived damaged or does not work, take photos within 48 hours and upload them in After-sales; then choose a replacement or refund."},
  {"after-sales", "上门安装", "installation", "{can}上门安装", "{can} get installation at home for my {p} order{c}",
   "大件{p}签收后，可在订单页点击「预约安装」，师傅会在24小时内联系您确认时间。基础安装免费，额外材料按标准收费。",
   "For large {p} items, tap Book Installation on the order page after delivery; a technician calls within 24 hours. Basic installation is free."},
  {"after-sales", "保修期", "warranty period", "保修期{long}", "How long is the warranty on my {p} order{c}",
   "{p}整机保修期一般为1年，主要部件以商品页标注为准，保修期从签收之日起计算，凭订单或发票即可享受保修服务。",
   "The warranty on a {p} is usually one year from delivery; main parts may have longer cover as the product page says. Your order is the proof."},
  {"after-sales", "质量问题", "quality problem", "收到有质量问题{what}", "{what} my {p} order{c} has a quality problem",
   "{p}签收后发现质量问题，请拍照保留凭证，在订单页申请售后：7天内可以退货，15天内可以换货，保修期内可以免费维修。",
   "If your {p} has a quality problem, keep photos and open After-sales: return within 7 days, exchange within 15, free repair under warranty."},
  {"payment", "信用卡", "credit card", "订单{can}用信用卡支付", "{can} pay for my {p} order{c} by credit card",
   "{p}订单支持信用卡支付，结算时选择「银行卡支付」并添加信用卡即可，部分大促商品和虚拟商品可能不支持信用卡。",
   "{p} orders can be paid by credit card: choose Card Payment at checkout and add your card. Some sale and virtual items exclude cards."},
  {"payment", "付款失败", "payment failed", "订单付款失败{what}", "{what} payment for my {p} order{c} failed",
   "{p}订单付款失败时，请先确认账户余额和单笔限额，再检查网络后重试，或者更换支付方式。若已扣款但订单未付款，款项会在24小时内自动退回。",
   "If paying for a {p} order fails, check your balance and limits, then retry or use another method. A charge on an unpaid order is returned in 24 hours."},
  {"payment", "分期付款", "instalments", "订单{can}分期付款", "{can} pay for my {p} order{c} in instalments",
   "单价满500元的{p}支持信用卡分期和花呗分期，可选3、6、12期，部分商品享受免息，具体期数和手续费以结算页为准。",
   "{p} items over 500 yuan can be paid in 3, 6 or 12 instalments by credit card; some are interest-free. Checkout shows the terms."},
  {"payment", "重复扣款", "double charge", "订单{why}重复扣款了", "Why was I charged twice for my {p} order{c}",
   "{p}订单重复扣款通常是网络超时后多次支付导致的，多付的款项系统会在1-3个工作日内自动原路退回，不需要另外申请。",
   "A double charge on a {p} order usually comes from paying again after a timeout; the extra payment is returned in 1-3 business days."},
  {"coupons", "优惠券不可用", "coupon not working", "订单{why}用不了优惠券", "Why can't I use a coupon on my {p} order{c}",
   "优惠券有使用门槛、适用品类和有效期限制。{p}订单无法使用时，请在优惠券详情中确认是否满足满减金额、是否在适用范围内以及是否已过期。",
   "Coupons have a minimum spend, eligible categories and an expiry date. If one fails on a {p} order, check those in the coupon details."},
  {"coupons", "优惠券退回", "coupon refund", "订单退款后优惠券{can}退回", "{can} get my coupon back after refunding my {p} order{c}",
   "{p}订单全部退款后，未过期的优惠券会自动退回账户；部分退款或优惠券已过期的不予退回，退回的优惠券有效期不变。",
   "After a full refund of a {p} order, an unexpired coupon returns to your account. Partial refunds and expired coupons do not qualify."},
  {"coupons", "领优惠券", "claim coupon", "{how}领取优惠券", "{how} claim a coupon for my {p} order{c}",
   "{p}的商品页和店铺首页会展示可领取的优惠券，点击「领取」后自动放入账户，结算时系统会自动选择最优的优惠券。",
   "Coupons for a {p} are shown on the product page and shop home page; tap Claim and checkout picks the best one automatically."},
  {"coupons", "优惠叠加", "stack coupons", "订单{can}叠加使用优惠券", "{can} stack several coupons on my {p} order{c}",
   "同一{p}订单可以同时使用一张店铺券和一张平台券，同类优惠券不能叠加，满减活动和优惠券可以叠加，以结算页计算为准。",
   "One {p} order can use one shop coupon and one platform coupon together; coupons of the same type do not stack. Checkout shows the total."},
  {"price-protection", "价格保护", "price protection", "降价了{can}申请价保", "{can} get price protection on my {p} order{c} after a price drop",
   "{p}签收后7天内降价的，可以在订单页点击「申请价保」，差价会以原支付方式退回。秒杀、拼团和赠品不参与价保。",
   "If a {p} gets cheaper within 7 days of delivery, tap Price Protection on the order page to get the difference back. Flash sales are excluded."},
  {"membership", "会员折扣", "member discount", "订单{can}享受会员折扣", "{can} get the member discount on my {p} order{c}",
   "会员购买{p}可以享受会员价或额外95折，结算时自动生效，不需要手动领取。会员折扣不与部分限时活动同时使用。",
   "Members get the member price or an extra 5% off a {p} automatically at checkout. The discount does not combine with some limited offers."},
  {"membership", "积分到账", "points", "订单的积分{long}到账", "{long} receive the points for my {p} order{c}",
   "{p}订单确认收货后7天内积分会发放到账户，每消费1元获得1积分，发生退款的订单积分会相应扣回。",
   "Points for a {p} order arrive within 7 days of confirming receipt: 1 point per yuan. Points for refunded orders are taken back."},
  {"membership", "积分抵扣", "pay with points", "订单{how}用积分抵扣", "{how} use points to pay for my {p} order{c}",
   "结算{p}订单时打开「积分抵扣」开关即可使用，100积分抵1元，最多抵扣订单金额的50%，积分不足100时不能使用。",
   "At checkout for a {p} order, turn on Use Points: 100 points are worth 1 yuan, up to half of the order amount."},
  {"customer-service", "投诉", "complaint", "订单{how}投诉商家", "{how} file a complaint about my {p} order{c}",
   "对{p}订单的商家服务不满意，可以在订单详情点击「投诉商家」，选择投诉类型并上传凭证，平台会在3个工作日内介入处理。",
   "If you are unhappy with the seller of a {p} order, tap Complain on the order page and upload proof; we step in within 3 business days."},
  {"customer-service", "人工客服", "human agent", "订单{how}联系人工客服", "{how} reach a human agent about my {p} order{c}",
   "在{p}订单详情页点击「联系客服」，输入「转人工」即可接入人工客服，服务时间为每天9:00-21:00，也可以拨打客服热线。",
   "On the {p} order page tap Contact Support and type agent to reach a person, daily 9:00-21:00, or call the hotline."},
  {"payment", "货到付款", "cash on delivery", "{can}货到付款", "{can} pay cash on delivery for my {p} order{c}",
   "部分地区的{p}订单支持货到付款，结算时选择「货到付款」即可，需要额外支付5元服务费，不支持的地区不会显示该选项。",
   "In some areas {p} orders can be paid cash on delivery: choose it at checkout. There is a 5 yuan fee; where it is unavailable it is not shown."},
  {"orders", "确认收货", "confirm receipt", "订单{long}自动确认收货", "How long until my {p} order{c} is confirmed as received",
   "{p}订单在发货后10天自动确认收货，大件商品为15天。如果还没有收到货，可以在订单页点击「延长收货」。",
   "{p} orders are confirmed as received 10 days after shipping, 15 for bulky items. If it has not arrived, tap Extend on the order page."},
  {"orders", "延长收货", "extend receipt", "订单{can}延长收货时间", "{can} extend the receiving time of my {p} order{c}",
   "在自动确认收货前3天内，可以在{p}订单详情点击「延长收货」，每次延长3天，每个订单可以延长一次。",
   "In the last 3 days before automatic confirmation, tap Extend on the {p} order page to add 3 days, once per order."},
  {"reviews", "评价", "review", "{how}评价晒单", "{how} review my {p} order{c}",
   "确认收货后，在「我的订单」-「待评价」中找到{p}订单，点击「评价」填写文字和图片即可，优质评价可以获得积分奖励。",
   "After confirming receipt, find the {p} order under My Orders > To Review and tap Review to add text and photos; good reviews earn points."},
};

struct Product {
  const char* zh;
  const char* zh_aliases;  // '|'-separated, may be empty
  const char* en;
  const char* en_aliases;
  const char* group_zh;
  const char* group_en;
};

inline constexpr Product kProducts[] = {
  {"手机", "", "phone", "mobile|cellphone", "数码", "electronics"},
  {"平板电脑", "平板", "tablet", "", "数码", "electronics"},
  {"笔记本电脑", "笔记本|电脑", "laptop", "notebook", "数码", "electronics"},
  {"蓝牙耳机", "耳机|无线耳机", "earphones", "earbuds", "数码", "electronics"},
  {"智能手表", "手表", "smartwatch", "smart watch", "数码", "electronics"},
  {"充电宝", "移动电源", "power bank", "portable charger", "数码", "electronics"},
  {"蓝牙音箱", "音箱|音响", "Bluetooth speaker", "speaker", "数码", "electronics"},
  {"相机", "照相机|单反", "camera", "", "数码", "electronics"},
  {"机械键盘", "键盘", "keyboard", "", "数码", "electronics"},
  {"无线鼠标", "鼠标", "mouse", "wireless mouse", "数码", "electronics"},
  {"显示器", "屏幕", "monitor", "screen", "数码", "electronics"},
  {"路由器", "无线路由器", "router", "Wi-Fi router", "数码", "electronics"},
  {"移动硬盘", "硬盘", "external hard drive", "hard drive", "数码", "electronics"},
  {"打印机", "", "printer", "", "数码", "electronics"},
  {"游戏机", "游戏主机", "game console", "console", "数码", "electronics"},
  {"电子书阅读器", "阅读器", "e-reader", "", "数码", "electronics"},
  {"冰箱", "电冰箱", "fridge", "refrigerator", "家电", "appliances"},
  {"洗衣机", "滚筒洗衣机", "washing machine", "washer", "家电", "appliances"},
  {"空调", "空调机", "air conditioner", "AC", "家电", "appliances"},
  {"电视", "电视机", "TV", "television", "家电", "appliances"},
  {"微波炉", "", "microwave", "microwave oven", "家电", "appliances"},
  {"电饭煲", "电饭锅", "rice cooker", "", "家电", "appliances"},
  {"扫地机器人", "扫地机", "robot vacuum", "robot vacuum cleaner", "家电", "appliances"},
  {"吹风机", "电吹风", "hair dryer", "", "家电", "appliances"},
  {"净水器", "", "water purifier", "water filter", "家电", "appliances"},
  {"热水器", "电热水器", "water heater", "", "家电", "appliances"},
  {"空气净化器", "净化器", "air purifier", "", "家电", "appliances"},
  {"电风扇", "风扇", "electric fan", "fan", "家电", "appliances"},
  {"咖啡机", "", "coffee machine", "coffee maker", "家电", "appliances"},
  {"烤箱", "电烤箱", "oven", "", "家电", "appliances"},
  {"洗碗机", "", "dishwasher", "", "家电", "appliances"},
  {"吸尘器", "", "vacuum cleaner", "vacuum", "家电", "appliances"},
  {"羽绒服", "", "down jacket", "puffer jacket", "服饰", "clothing"},
  {"运动鞋", "跑鞋|球鞋", "sneakers", "trainers", "服饰", "clothing"},
  {"连衣裙", "裙子", "dress", "", "服饰", "clothing"},
  {"牛仔裤", "裤子", "jeans", "", "服饰", "clothing"},
  {"衬衫", "", "shirt", "", "服饰", "clothing"},
  {"大衣", "外套", "coat", "", "服饰", "clothing"},
  {"双肩包", "背包", "backpack", "", "服饰", "clothing"},
  {"行李箱", "拉杆箱", "suitcase", "luggage", "服饰", "clothing"},
  {"T恤", "短袖", "T-shirt", "tee", "服饰", "clothing"},
  {"围巾", "", "scarf", "", "服饰", "clothing"},
  {"墨镜", "太阳镜", "sunglasses", "", "服饰", "clothing"},
  {"眼镜", "近视眼镜", "glasses", "", "服饰", "clothing"},
  {"口红", "唇膏", "lipstick", "", "美妆", "beauty"},
  {"面霜", "", "face cream", "moisturiser", "美妆", "beauty"},
  {"防晒霜", "防晒", "sunscreen", "sunblock", "美妆", "beauty"},
  {"香水", "", "perfume", "", "美妆", "beauty"},
  {"面膜", "", "face masks", "sheet masks", "美妆", "beauty"},
  {"洗发水", "洗发露", "shampoo", "", "美妆", "beauty"},
  {"精华液", "精华", "serum", "", "美妆", "beauty"},
  {"牛奶", "纯牛奶", "milk", "", "食品", "food"},
  {"咖啡豆", "", "coffee beans", "", "食品", "food"},
  {"茶叶", "", "tea", "tea leaves", "食品", "food"},
  {"零食礼包", "零食", "snack box", "snacks", "食品", "food"},
  {"大米", "", "rice", "", "食品", "food"},
  {"坚果", "", "nuts", "", "食品", "food"},
  {"月饼", "月饼礼盒", "mooncakes", "mooncake box", "食品", "food"},
  {"水果", "", "fruit", "", "食品", "food"},
  {"海鲜", "生鲜", "seafood", "", "食品", "food"},
  {"红酒", "葡萄酒", "wine", "red wine", "食品", "food"},
  {"奶粉", "", "infant formula", "baby formula", "母婴", "baby"},
  {"纸尿裤", "尿不湿", "diapers", "nappies", "母婴", "baby"},
  {"婴儿车", "推车", "stroller", "pram", "母婴", "baby"},
  {"儿童安全座椅", "安全座椅", "child car seat", "car seat", "母婴", "baby"},
  {"儿童玩具", "玩具", "toy", "", "母婴", "baby"},
  {"乐高积木", "积木", "LEGO set", "", "母婴", "baby"},
  {"沙发", "", "sofa", "couch", "家居", "home"},
  {"床垫", "", "mattress", "", "家居", "home"},
  {"书桌", "桌子", "desk", "", "家居", "home"},
  {"办公椅", "椅子", "office chair", "chair", "家居", "home"},
  {"台灯", "", "desk lamp", "lamp", "家居", "home"},
  {"床上四件套", "四件套", "bedding set", "", "家居", "home"},
  {"窗帘", "", "curtains", "", "家居", "home"},
  {"收纳箱", "", "storage box", "", "家居", "home"},
  {"不粘锅", "锅", "frying pan", "non-stick pan", "家居", "home"},
  {"餐具套装", "餐具", "tableware set", "dinnerware", "家居", "home"},
  {"图书", "书", "books", "", "图书", "books"},
  {"自行车", "单车", "bicycle", "bike", "运动", "sports"},
  {"跑步机", "", "treadmill", "", "运动", "sports"},
  {"瑜伽垫", "", "yoga mat", "", "运动", "sports"},
  {"电动牙刷", "牙刷", "electric toothbrush", "", "个护", "personal care"},
  {"剃须刀", "电动剃须刀", "shaver", "razor", "个护", "personal care"},
  {"猫粮", "", "cat food", "", "宠物", "pets"},
  {"狗粮", "", "dog food", "", "宠物", "pets"},
};

struct Condition {
  const char* zh_attr;    // before the product: "已发货的"
  const char* zh_clause;  // a clause of its own: "已经发货了"
  const char* en_attr;    // after "order": " that has already shipped"
  const char* en_clause;  // a sentence of its own: "It has already shipped"
};

inline constexpr Condition kConditions[] = {
  {"", "", "", ""},
  {"已发货的", "已经发货了", " that has already shipped", "It has already shipped"},
  {"还没发货的", "还没有发货", " that hasn't shipped yet", "It hasn't shipped yet"},
  {"刚付款的", "我刚付完款", " that I just paid for", "I just paid for it"},
  {"用优惠券买的", "下单时用了优惠券", " paid with a coupon", "I used a coupon"},
  {"活动期间买的", "是活动期间买的", " from a sale event", "I bought it during a sale"},
  {"预售的", "这是预售商品", " on pre-order", "It is a pre-order"},
  {"海外直邮的", "是海外直邮的", " shipped from overseas", "It ships from overseas"},
  {"拼团买的", "是拼团买的", " from a group deal", "I bought it in a group deal"},
  {"分期付款的", "我用了分期付款", " paid in instalments", "I paid in instalments"},
  {"货到付款的", "我选的货到付款", " with cash on delivery", "I chose cash on delivery"},
  {"已签收的", "已经签收了", " that was already delivered", "It was already delivered"},
  {"超过7天的", "已经超过7天了", " older than 7 days", "It has been more than 7 days"},
  {"显示签收但没收到的", "快递显示签收了但我没收到", " marked delivered but never received", "It says delivered but I never got it"},
  {"包装破损的", "收到时包装破损", " with damaged packaging", "The packaging was damaged"},
  {"买来送人的", "是买来送人的", " bought as a gift", "It is a gift"},
  {"积分兑换的", "是用积分兑换的", " redeemed with points", "I redeemed it with points"},
  {"公司采购的", "是公司采购的", " bought for my company", "My company bought it"},
  {"直播间买的", "是在直播间买的", " from a livestream", "I bought it in a livestream"},
  {"以旧换新的", "参加了以旧换新", " with a trade-in", "I used a trade-in"},
  {"双十一买的", "是双十一买的", " from Singles' Day", "I bought it on Singles' Day"},
  {"已经拆封的", "我已经拆封了", " that I already opened", "I already opened it"},
  {"少了配件的", "收到后发现少了配件", " with missing accessories", "Some accessories are missing"},
  {"地址填错的", "收货地址填错了", " with the wrong address", "I entered the wrong address"},
  {"刚下单的", "我刚刚下单", " I just placed", "I just placed it"},
  {"朋友代付的", "是朋友帮我付的", " a friend paid for", "A friend paid for it"},
  {"礼品卡支付的", "用礼品卡付的款", " paid with a gift card", "I paid with a gift card"},
  {"开过发票的", "已经开了发票", " that already has an invoice", "It already has an invoice"},
  {"换过一次货的", "之前已经换过一次货", " that was already exchanged once", "It was already exchanged once"},
  {"会员价买的", "是按会员价买的", " at the member price", "I bought it at the member price"},
  {"618买的", "是618活动买的", " from the 618 sale", "I bought it in the 618 sale"},
};

struct Channel {
  const char* zh_attr;    // "APP上"
  const char* zh_clause;  // "是在APP上下的单"
  const char* zh_name;    // for answers
  const char* en_prefix;  // "In the app, "
  const char* en_suffix;  // " in the app"
};

inline constexpr Channel kChannels[] = {
  {"", "", "", "", ""},
  {"APP上", "是在APP上下的单", "APP", "In the app, ", " in the app"},
  {"小程序里", "是在小程序下的单", "小程序", "In the mini program, ", " in the mini program"},
  {"官网", "是在官网买的", "官网", "On the website, ", " on the website"},
};

inline constexpr const char* kZhClosings[] = {
  "如有其他问题，可以随时联系在线客服。", "客服服务时间为每天9:00-21:00。", "具体以页面显示为准。",
  "节假日期间处理时间可能顺延1-2天。", "如页面无法操作，请联系人工客服协助处理。", "感谢您的耐心等待。",
};
inline constexpr const char* kEnClosings[] = {
  "Contact our support team if you need more help.", "Support is available daily from 9:00 to 21:00.",
  "Times may be longer on public holidays.", "The details shown on the page take precedence.",
  "Thank you for your patience.",
};

struct Filler {
  const char* text;
  bool keeps_mark;  // a question mark may follow it
};
inline constexpr const char* kZhPrefixes[] = {"请问", "你好，", "您好，请问", "麻烦问一下，", "客服你好，", "我想问下", "想咨询一下，"};
inline constexpr Filler kZhSuffixes[] = {{"呢", true}, {"呀", true}, {"啊", true}, {"，谢谢", false}, {"，急", false}, {"，在线等", false}};
inline constexpr const char* kEnPrefixes[] = {"Hi, ", "Hello, ", "Hey, ", "Quick question: ", "Sorry to bother you, "};
inline constexpr Filler kEnSuffixes[] = {{" please", true}, {", thanks", false}, {" thank you", false}, {"??", false}};

// Word -> '|'-separated alternatives.
inline constexpr std::pair<const char*, const char*> kZhSynonyms[] = {
  {"订单", "单子"}, {"取消", "撤销|撤掉"}, {"退款", "退钱"}, {"快递", "物流|包裹"}, {"修改", "更改|改一下"},
  {"查看", "查|看一下"}, {"申请", "办理|提交"}, {"到账", "退回来"}, {"优惠券", "券|优惠码"}, {"发票", "票"},
  {"收货地址", "地址|配送地址"}, {"客服", "人工"}, {"运费", "邮费"}, {"物流", "快递信息|配送信息"},
  {"保修", "质保"}, {"换货", "更换"}, {"积分", "会员积分"}, {"付款", "支付"}, {"支付", "付款"},
  {"发货", "寄出|出库"}, {"寄回", "寄回去|退回"}, {"质量问题", "毛病"}, {"商家", "卖家|店家"},
  {"投诉", "举报"}, {"安装", "装机"},
};
inline constexpr std::pair<const char*, const char*> kEnSynonyms[] = {
  {"order", "purchase"}, {"cancel", "call off"}, {"a refund", "my money back"}, {"delivery", "shipping"},
  {"courier", "delivery company"}, {"coupon", "voucher|promo code"}, {"invoice", "receipt"},
  {"parcel", "package"}, {"tracking", "tracking info"}, {"exchange", "swap"}, {"warranty", "guarantee"},
  {"points", "reward points"}, {"change", "update"}, {"get", "receive"},
};

// Correct -> misspelt, as customers type them (pinyin-IME homophones for Chinese).
inline constexpr std::pair<const char*, const char*> kZhTypos[] = {
  {"订单", "定单"}, {"优惠券", "优惠卷"}, {"怎么", "怎末|怎摸"}, {"退款", "退宽"}, {"快递", "快第"},
  {"已经", "以经"}, {"收到", "收道"}, {"在哪里", "再哪里"}, {"发票", "发漂"}, {"为什么", "为什莫"},
  {"能不能", "能步能"}, {"多久", "多酒"}, {"取消", "去消"}, {"修改", "修该"}, {"申请", "申清"},
  {"地址", "地趾"}, {"积分", "积份"}, {"物流", "物留"}, {"保修", "保休"}, {"的", "得"}, {"吗", "嘛"},
};
inline constexpr std::pair<const char*, const char*> kEnTypos[] = {
  {"receive", "recieve"}, {"address", "adress"}, {"cancel", "cancle"}, {"delivery", "delivey"},
  {"warranty", "waranty"}, {"invoice", "invoce"}, {"order", "oder"}, {"package", "pakage"},
  {"exchange", "exchage"}, {"coupon", "coupen"}, {"shipped", "shiped"}, {"tracking", "traking"},
  {"payment", "payemnt"}, {"possible", "posible"}, {"already", "allready"}, {"should", "shoud"},
};

// Mainland word -> Taiwan word (still in Simplified characters; converted after).
inline constexpr std::pair<const char*, const char*> kTaiwanWords[] = {
  {"打印机", "印表机"}, {"鼠标", "滑鼠"}, {"移动硬盘", "行动硬碟"}, {"充电宝", "行动电源"},
  {"移动电源", "行动电源"}, {"笔记本电脑", "笔记型电脑"}, {"质量", "品质"}, {"网络", "网路"},
  {"工作日", "工作天"}, {"发货", "出货"},
};

inline constexpr const char* kOutOfScopeZh[] = {
  "你们公司总部在哪里", "今天天气怎么样", "帮我订一张去上海的机票", "你是机器人吗", "讲个笑话吧",
  "附近有什么好吃的", "明天股票会涨吗", "怎么学好英语", "推荐一部好看的电影", "你叫什么名字",
  "我心情不好", "现在几点了",
};
inline constexpr const char* kOutOfScopeEn[] = {
  "what's the weather like today", "tell me a joke", "who won the game last night",
  "can you book me a taxi", "what is the meaning of life", "recommend a good movie",
};

// Simplified -> Traditional (Taiwan standard), pairs of characters. Phrases
// go first where one character has two Traditional forms.
inline constexpr std::pair<const char*, const char*> kTraditionalPhrases[] = {
  {"联系", "聯繫"}, {"重复", "重複"}, {"洗发", "洗髮"}, {"剃须", "剃鬚"}, {"合并", "合併"},
  {"定制", "定製"}, {"手表", "手錶"},
};
inline constexpr const char kTraditionalChars[] =
    "订訂单單么麼样樣时時间間账賬货貨换換运運费費买買卖賣机機号號码碼会會积積级級开開关關这這个個为為吗嗎还還没沒们們务務询詢问問题題电電话話脑腦视視调調显顯红紅绑綁"
    "银銀网網页頁门門处處选選择擇进進点點击擊请請几幾里裡经經后後过過让讓给給动動态態扫掃发發递遞员員优優邮郵录錄线線认認证證确確实實际際现現产產质質张張写寫备備场場"
    "说說该該错錯误誤试試车車专專业業从從边邊种種类類项項帮幫联聯钱錢额額数數据據户戶补補偿償赔賠损損坏壞颜顏库庫仓倉装裝维維检檢测測凭憑师師约約预預标標准準压壓阅閱"
    "读讀书書键鍵盘盤游遊戏戲饭飯锅鍋风風净淨热熱尘塵绒絨连連裤褲衬襯双雙围圍镜鏡阳陽晒曬华華叶葉礼禮坚堅饼餅鲜鮮纸紙湿溼婴嬰儿兒垫墊办辦灯燈帘簾纳納图圖齿齒猫貓粮糧"
    "乐樂须須蓝藍宝寶响響无無笔筆记記载載统統删刪绝絕税稅头頭国國丢丟败敗领領叠疊价價诉訴长長评評团團签簽兑兌采採购購旧舊刚剛汇匯审審当當销銷齐齊适適险險规規结結础礎"
    "余餘转轉续續满滿减減范範杀殺赠贈参參获獲奖獎励勵区區铺鋪别別尽盡迟遲钟鐘验驗复復难難宽寬层層离離执執营營护護宠寵滚滾杆桿罗羅触觸驾駕寻尋节節顺順协協谢謝烦煩谘諮"
    "咨諮辆輛达達应應许許设設计計则則厅廳总總气氣讲講涨漲学學语語论論劳勞亲親爱愛揽攬陆陸湾灣遥遙远遠与與举舉仅僅传傳体體内內册冊况況变變台臺呗唄妆妝对對导導并並废廢"
    "愿願报報担擔拟擬拨撥暂暫来來槛檻炉爐状狀独獨称稱纯純络絡荐薦虚虛详詳诺諾轻輕输輸随隨饰飾骤驟";


}  // namespace zhiku::synth::vocabulary

#endif  // ZHIKU_SERVICE_SYNTH_KB_VOCABULARY_H_
