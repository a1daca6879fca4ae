"""recon_file.py: Microsoft CSP recon files (new commerce layout) for the import tests."""

MS_HEADER = ("PartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,MpnId,"
             "ResellerMpnId,OrderId,OrderDate,ProductId,SkuId,AvailabilityId,SkuName,ProductName,ChargeType,"
             "UnitPrice,Quantity,Subtotal,TaxTotal,TotalForCustomer,Currency,PriceAdjustmentDescription,"
             "PublisherName,PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,"
             "TermAndBillingCycle,EffectiveUnitPrice,UnitType,AlternateId,BillableQuantity,BillingFrequency,"
             "PricingCurrency,PCToBCExchangeRate,PCToBCExchangeRateDate,MeterDescription,ReservationOrderId,"
             "CreditReasonCode,SubscriptionStartDate,SubscriptionEndDate,ReferenceId,ProductQualifiers,PromotionId")


def ms_row(i, customer, name, sub, product, charge, qty, eff_price, subtotal, start, end, freq="Monthly",
           order_date="2026-10-01T09:00:00Z"):
    return (f"p1,{customer},\"{name}\",d.onmicrosoft.com,US,G0001,1,0,ord{i},{order_date},CFQ7TTC0LH18,0001,av,"
            f"{product},{product},{charge},6.00,{qty},{subtotal},0,{subtotal},USD,,Microsoft,,,{sub},"
            f"{start},{end},One-Year commitment for monthly/yearly billing,{eff_price},,alt{i},{qty},{freq},"
            f"USD,1,2026-10-01,,,,2026-01-01,2026-12-31,ref-{i},[],")


def write_big(path, n, bad_line=None):
    """A recon file of n data rows (500 customers, 5,000 subscriptions). With bad_line, the
    file's line of that number (the header is line 1) has a quantity that is not a number."""
    with open(path, "w") as f:
        f.write(MS_HEADER + "\n")
        for i in range(n):
            qty = "twelve" if bad_line == i + 2 else 1 + i % 50
            f.write(ms_row(i, f"c-{i % 500}", f"Customer {i % 500}", f"sub-{i % 5000}", "Microsoft 365 Business Basic",
                           "cycleCharge", qty, "5.4000", "27.00", "2026-10-01", "2026-10-31") + "\n")
