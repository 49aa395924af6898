print("sandcastle")
